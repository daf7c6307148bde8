package dev.carousel.nn;

import dev.carousel.util.Seeds;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Initial parameters θ for a {@link ModelSpec}. The scheme ({@link RecurrentInit#scheme()}) is named in every
 * report because gradient profiles depend on it (docs/science.md):
 *
 * <ul>
 *   <li>W_x, W_y ~ U(−1/√H, 1/√H), as PyTorch's LSTM default, so input scale does not depend on I;</li>
 *   <li>W_h: [H, G], by {@link RecurrentInit}: for {@code orthogonal}, each of the LSTM's four H×H gate blocks
 *       (the RNN's whole matrix) is gain·Q, with Q a Haar-random orthogonal matrix (Saxe et al. 2014; Le et
 *       al. 2015 for RNNs), so the spectral radius is exactly the gain, the quantity that decides vanishing
 *       (&lt; 1) or exploding (&gt; 1) in a tanh-RNN (Pascanu et al. 2013); for {@code glorot}, every entry is
 *       gain·U(±√(6/(H+G))) (Glorot &amp; Bengio 2010);</li>
 *   <li>b = 0, b_y = 0, except the forget-gate bias (and, for chrono, the input-gate bias) as set by
 *       the {@link ForgetGate} mode.</li>
 * </ul>
 *
 * <p>All randomness comes from {@link SplittableRandom}s derived from the seed, and the orthogonal
 * factor is computed here in plain double arithmetic rather than by LAPACK: initialisation is then
 * bit-identical across machines, BLAS builds and thread counts, which a LAPACK QR does not promise.
 */
public final class Initializer {
    private Initializer() {}

    /** A fresh θ: [P] in the spec's precision, with orthogonal recurrent blocks of the given gain. */
    public static INDArray initialize(ModelSpec spec, double recurrentGain, long seed) {
        return initialize(spec, recurrentGain, RecurrentInit.ORTHOGONAL, seed);
    }

    /** A fresh θ: [P] in the spec's precision. */
    public static INDArray initialize(ModelSpec spec, double recurrentGain, RecurrentInit recurrentInit, long seed) {
        ParameterLayout layout = spec.layout();
        double[] theta = new double[Math.toIntExact(layout.count())];
        int i = spec.inputSize();
        int h = spec.hidden();
        int o = spec.outputSize();
        int g = spec.gateWidth();
        double scale = 1.0 / Math.sqrt(h);

        SplittableRandom inputs = new SplittableRandom(Seeds.derive(seed, Seeds.label("init"), Seeds.label("W_x")));
        fillUniform(theta, layout.block("W_x"), -scale, scale, inputs);

        if (recurrentInit == RecurrentInit.GLOROT) {
            double limit = recurrentGain * Math.sqrt(6.0 / (h + g));
            SplittableRandom r = new SplittableRandom(Seeds.derive(seed, Seeds.label("init"), Seeds.label("W_h glorot")));
            fillUniform(theta, layout.block("W_h"), -limit, limit, r);
        } else {
            int whOffset = (int) layout.block("W_h").offset();
            int blocks = g / h;
            for (int k = 0; k < blocks; k++) {
                SplittableRandom r = new SplittableRandom(Seeds.derive(seed, Seeds.label("init"), Seeds.label("W_h"), k));
                double[][] q = orthogonal(h, r);
                for (int row = 0; row < h; row++) {
                    for (int col = 0; col < h; col++) {
                        theta[whOffset + row * g + k * h + col] = recurrentGain * q[row][col];
                    }
                }
            }
        }

        SplittableRandom head = new SplittableRandom(Seeds.derive(seed, Seeds.label("init"), Seeds.label("W_y")));
        fillUniform(theta, layout.block("W_y"), -scale, scale, head);

        if (spec.cell() == CellType.LSTM) {
            int bOffset = (int) layout.block("b").offset();
            SplittableRandom gate = new SplittableRandom(Seeds.derive(seed, Seeds.label("init"), Seeds.label("forget")));
            for (int u = 0; u < h; u++) {
                double bf = forgetBias(spec.forgetGate(), h, gate);
                theta[bOffset + h + u] = bf;
                if (spec.forgetGate() instanceof ForgetGate.Chrono) {
                    // Chrono init couples b_i = −b_f (Tallec & Ollivier 2018, §4): without it a large b_f
                    // makes the cell integrate its inputs and saturate.
                    theta[bOffset + u] = -bf;
                }
            }
        }
        return Nd4j.create(theta, new long[] {theta.length}, spec.precision().dataType());
    }

    private static double forgetBias(ForgetGate gate, int hidden, SplittableRandom r) {
        if (gate instanceof ForgetGate.Learned l) {
            return l.bias(); // Gers et al. 2000 and Jozefowicz et al. 2015 recommend b_f = 1.
        }
        if (gate instanceof ForgetGate.Chrono c) {
            // b_f ~ log U[1, T_max − 1]: forgetting times spread over 1..T_max (Tallec & Ollivier 2018).
            return Math.log(uniform(r, 1.0, c.tmax() - 1.0));
        }
        if (gate instanceof ForgetGate.Uniform) {
            double p = uniform(r, 1.0 / hidden, 1.0 - 1.0 / hidden); // b_f = logit(u) (Gu et al. 2020)
            return Math.log(p / (1.0 - p));
        }
        return 0.0; // fixed and none never read b_f
    }

    private static void fillUniform(double[] theta, ParameterLayout.Block block, double lo, double hi, SplittableRandom r) {
        for (long k = block.offset(); k < block.offset() + block.length(); k++) {
            theta[(int) k] = uniform(r, lo, hi);
        }
    }

    private static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    /**
     * A Haar-random n×n orthogonal matrix: QR of a standard Gaussian matrix by modified Gram–Schmidt,
     * with column signs fixed so that diag(R) &gt; 0 (Mezzadri 2007) — without the fix Q is not uniform.
     */
    static double[][] orthogonal(int n, SplittableRandom r) {
        double[][] a = new double[n][n]; // a[col][row]: columns are orthogonalised
        for (int col = 0; col < n; col++) {
            for (int row = 0; row < n; row++) {
                a[col][row] = gaussian(r);
            }
        }
        for (int col = 0; col < n; col++) {
            double[] v = a[col];
            for (int prev = 0; prev < col; prev++) {
                double[] q = a[prev];
                double dot = 0;
                for (int k = 0; k < n; k++) {
                    dot += q[k] * v[k];
                }
                for (int k = 0; k < n; k++) {
                    v[k] -= dot * q[k];
                }
            }
            double norm = 0;
            for (int k = 0; k < n; k++) {
                norm += v[k] * v[k];
            }
            norm = Math.sqrt(norm);
            // diag(R) = norm > 0 here, so dividing by the norm already yields the sign-fixed Q.
            for (int k = 0; k < n; k++) {
                v[k] /= norm;
            }
        }
        double[][] q = new double[n][n];
        for (int row = 0; row < n; row++) {
            for (int col = 0; col < n; col++) {
                q[row][col] = a[col][row];
            }
        }
        return q;
    }

    /** Box–Muller: a standard normal, stable across JDK versions (unlike RandomGenerator.nextGaussian). */
    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        while (u1 == 0.0) {
            u1 = r.nextDouble();
        }
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
