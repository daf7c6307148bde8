package dev.carousel.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class FlatVectorTest {

    @Test
    void readsAndWritesTheArraysOwnMemory() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = Nd4j.createFromArray(1.5, -2.0, 3.25).castTo(type);
            FlatVector v = FlatVector.of(a);
            assertEquals(3, v.length());
            assertEquals(-2.0, v.get(1));
            v.set(2, 0.1);
            assertEquals(type == DataType.FLOAT ? (double) 0.1f : 0.1, a.getDouble(2), 0.0, type.toString());
        }
    }

    @Test
    void viewsAndOtherTypesAreRejected() {
        INDArray whole = Nd4j.createFromArray(1.0, 2.0, 3.0, 4.0);
        INDArray view = whole.get(NDArrayIndex.interval(1, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlatVector.of(view));
        assertTrue(e.getMessage().contains("whole contiguous"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FlatVector.of(Nd4j.createFromArray(1, 2, 3)));
    }

    @Test
    void norm2MatchesTheDefinitionAndSurvivesHugeFloat64Values() {
        assertEquals(13.0, FlatVector.norm2(Nd4j.createFromArray(3.0, -4.0, 12.0)), 0.0);
        assertEquals(13.0, FlatVector.norm2(Nd4j.createFromArray(3f, -4f, 12f)), 0.0);
        // Squares of 1e200 overflow a double; the scaled recomputation does not.
        assertEquals(5e200, FlatVector.norm2(Nd4j.createFromArray(3e200, 4e200)), 1e186);
        assertEquals(Double.POSITIVE_INFINITY, FlatVector.norm2(Nd4j.createFromArray(1.0, Double.POSITIVE_INFINITY)));
        assertTrue(Double.isNaN(FlatVector.norm2(Nd4j.createFromArray(1e200, Double.NaN, 1e200))));
        assertEquals(0.0, FlatVector.norm2(Nd4j.createFromArray(0.0, 0.0)));
    }

    @Test
    void finiteCopyAndScale() {
        assertTrue(FlatVector.allFinite(Nd4j.createFromArray(1f, -3f)));
        assertFalse(FlatVector.allFinite(Nd4j.createFromArray(1f, Float.NaN)));
        assertFalse(FlatVector.allFinite(Nd4j.createFromArray(Double.NEGATIVE_INFINITY, 0.0)));

        INDArray from = Nd4j.createFromArray(1.0, 2.0, 3.0);
        INDArray to = Nd4j.zeros(DataType.DOUBLE, 3);
        FlatVector.copy(from, to);
        assertArrayEquals(new double[] {1, 2, 3}, to.toDoubleVector(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> FlatVector.copy(from, Nd4j.zeros(DataType.FLOAT, 3)));
        assertThrows(IllegalArgumentException.class, () -> FlatVector.copy(from, Nd4j.zeros(DataType.DOUBLE, 4)));

        FlatVector.scale(to, -0.5);
        assertArrayEquals(new double[] {-0.5, -1, -1.5}, to.toDoubleVector(), 0.0);
    }

    @Test
    void optimisersRejectAViewOfTheParameters() {
        INDArray big = Nd4j.zeros(DataType.DOUBLE, 6);
        INDArray params = big.get(NDArrayIndex.interval(0, 3));
        Adam adam = new Adam(0.1, 0.9, 0.999, 1e-8);
        OptimizerState s = adam.newState(Nd4j.zeros(DataType.DOUBLE, 3));
        assertThrows(IllegalArgumentException.class, () -> adam.update(params, Nd4j.ones(DataType.DOUBLE, 3), s));
    }
}
