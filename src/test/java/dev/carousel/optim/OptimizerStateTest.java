package dev.carousel.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class OptimizerStateTest {

    /** An Adam state after two updates, so m, v and step are all non-trivial. */
    private static OptimizerState adamState(double scale) {
        Adam adam = new Adam(0.01, 0.9, 0.999, 1e-8);
        INDArray theta = Nd4j.createFromArray(0.5, -1.0, 2.0);
        OptimizerState s = adam.newState(theta);
        adam.update(theta, Nd4j.createFromArray(0.3 * scale, -0.7, 1.5), s);
        adam.update(theta, Nd4j.createFromArray(-0.2, 0.4 * scale, 5.0), s);
        return s;
    }

    @Test
    void namesAreFixedAndOrdered() {
        assertEquals(List.of("m", "v"), adamState(1).names());
        assertEquals(List.of("ms"), new RmsProp(0.1, 0.9, 1e-8).newState(Nd4j.zeros(3)).names());
        assertEquals(List.of("momentum"), new Sgd(0.1, 0.5).newState(Nd4j.zeros(3)).names());
        assertThrows(IllegalArgumentException.class, () -> adamState(1).get("nope"));
    }

    @Test
    void copyIsDeep() {
        OptimizerState s = adamState(1);
        OptimizerState c = s.copy();
        double[] m = s.get("m").toDoubleVector();
        assertNotSame(s.get("m"), c.get("m"));
        s.get("m").addi(1.0);
        s.reset();
        assertArrayEquals(m, c.get("m").toDoubleVector(), 0.0);
        assertEquals(2, c.step());
        assertEquals(0, s.step());
        assertArrayEquals(new double[3], s.get("v").toDoubleVector(), 0.0);
    }

    @Test
    void averagingIdenticalStatesGivesTheSameState() {
        OptimizerState s = adamState(1);
        OptimizerState avg = OptimizerState.weightedAverage(List.of(s, s.copy()), new double[] {3, 7});
        assertEquals(s.step(), avg.step());
        for (String n : s.names()) {
            assertArrayEquals(s.get(n).toDoubleVector(), avg.get(n).toDoubleVector(), 1e-15);
        }
    }

    @Test
    void weightedAverageMatchesHandComputation() {
        OptimizerState a = adamState(1);
        OptimizerState b = adamState(-4);
        double wa = 32, wb = 96;
        double[] aBefore = a.get("v").toDoubleVector();
        OptimizerState avg = OptimizerState.weightedAverage(List.of(a, b), new double[] {wa, wb});
        for (String n : a.names()) {
            double[] x = a.get(n).toDoubleVector(), y = b.get(n).toDoubleVector();
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = (wa * x[i] + wb * y[i]) / (wa + wb);
            }
            assertArrayEquals(expected, avg.get(n).toDoubleVector(), 1e-12);
        }
        assertArrayEquals(aBefore, a.get("v").toDoubleVector(), 0.0, "inputs untouched");

        // The same average by hand with the building blocks the distributed layer uses.
        OptimizerState acc = a.scaledCopy(wa).addScaled(b, wb).scale(1 / (wa + wb));
        for (String n : a.names()) {
            assertArrayEquals(avg.get(n).toDoubleVector(), acc.get(n).toDoubleVector(), 1e-12);
        }
    }

    @Test
    void averagingRequiresEqualStepsAndNames() {
        OptimizerState two = adamState(1);
        OptimizerState fresh = new Adam(0.01, 0.9, 0.999, 1e-8).newState(Nd4j.zeros(3));
        assertThrows(IllegalArgumentException.class, () -> two.copy().addScaled(fresh, 1));
        OptimizerState rms = new RmsProp(0.1, 0.9, 1e-8).newState(Nd4j.zeros(3));
        assertThrows(IllegalArgumentException.class, () -> fresh.copy().addScaled(rms, 1));
        assertThrows(IllegalArgumentException.class,
                () -> OptimizerState.weightedAverage(List.of(two, two), new double[] {0, 0}));
    }

    @Test
    void ofWrapsCheckpointedBuffers() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("m", Nd4j.createFromArray(1.0, 2.0));
        m.put("v", Nd4j.createFromArray(3.0, 4.0));
        OptimizerState s = OptimizerState.of(m, 5);
        assertEquals(List.of("m", "v"), s.names());
        assertEquals(5, s.step());
        m.put("bad", Nd4j.createFromArray(1.0, 2.0, 3.0));
        assertThrows(IllegalArgumentException.class, () -> OptimizerState.of(m, 5));
    }

    @Test
    void survivesJavaSerialisationAsSparkUsesIt() throws Exception {
        OptimizerState s = adamState(1);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        OptimizerState back;
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            back = (OptimizerState) in.readObject();
        }
        assertEquals(s.names(), back.names());
        assertEquals(s.step(), back.step());
        for (String n : s.names()) {
            assertArrayEquals(s.get(n).toDoubleVector(), back.get(n).toDoubleVector(), 0.0);
        }
        // A deserialised state updates like any other.
        Adam adam = new Adam(0.01, 0.9, 0.999, 1e-8);
        adam.update(Nd4j.createFromArray(0.5, -1.0, 2.0), Nd4j.createFromArray(1.0, 1.0, 1.0), back);
        assertEquals(3, back.step());
    }
}
