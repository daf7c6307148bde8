package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.Supervision;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The float32 recorder (one fused loop per sequence, the f product a step late) gives exactly the values of the
 * float64 recorder (one sum after another, the product updated in the step that reads f) on the same blocks:
 * float32 values widen to double exactly and both sum over units in order, so they agree to the bit. A product
 * that takes the wrong step's f, loses a factor or a rescale, or a sum over the wrong units shows here.
 */
class ProbeRecorderTest {
    private static final int B = 12;
    private static final int T = 200;
    private static final int H = 16;

    @Test
    void float32StepsGiveTheFloat64ValuesBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        float[][] dh = new float[T][B * H];
        float[][] dc = new float[T][B * H];
        float[][] f = new float[T][B * H];
        for (int t = 0; t < T; t++) {
            for (int k = 0; k < B * H; k++) {
                dh[t][k] = (float) (r.nextGaussian() * Math.pow(10, -t / 20.0));
                dc[t][k] = (float) r.nextGaussian();
                // All sequences but the last forget hard (their products fall below 1e-200 and are rescaled
                // again and again); the last keeps f near 1.
                f[t][k] = (float) (k < (B - 1) * H ? r.nextDouble(1e-5, 1e-2) : r.nextDouble(0.8, 1.0));
            }
        }
        ProbeValues single = record(Precision.FLOAT32, dh, dc, f);
        ProbeValues wide = record(Precision.FLOAT64, dh, dc, f);
        for (Probe p : Probe.defaults()) {
            assertArrayEquals(wide.get(p), single.get(p), 0.0, p.key());
        }
        double[] gain = single.get(Probe.PATH_GAIN);
        assertTrue(gain[0] < -320, "sequence 0's path gain underflows a double without the rescale: " + gain[0]);
        assertTrue(gain[(B - 1) * T] > -40, "the last sequence's gain stays moderate: " + gain[(B - 1) * T]);
    }

    private static ProbeValues record(Precision precision, float[][] dh, float[][] dc, float[][] f) {
        ModelSpec spec = new ModelSpec(CellType.LSTM, 1, H, 1, new ForgetGate.Learned(1.0), precision);
        ProbeRecorder rec = new ProbeRecorder(spec, T, B).reset(Probe.defaults());
        int g = 4 * H;
        for (int t = T - 1; t >= 0; t--) {
            if (precision == Precision.FLOAT32) {
                rec.recordStep(t, dh[t], dc[t], f[t], t < T - 1 ? f[t + 1] : null);
            } else {
                double[] z = new double[B * g]; // activations [B, 4H], f_t at columns H..2H
                for (int s = 0; s < B; s++) {
                    for (int u = 0; u < H; u++) {
                        z[s * g + H + u] = f[t][s * H + u];
                    }
                }
                rec.recordStep(t, widen(dh[t]), widen(dc[t]), z, g);
            }
        }
        return rec.values(null, Supervision.lastStep(LossKind.MSE, T), null);
    }

    private static double[] widen(float[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            d[k] = v[k];
        }
        return d;
    }
}
