package dev.carousel.nn;

import org.nd4j.linalg.api.buffer.DataType;

/** Floating-point precision of the engine: float32 for training, float64 for gradient checks. */
public enum Precision {
    FLOAT32(DataType.FLOAT),
    FLOAT64(DataType.DOUBLE);

    private final DataType dataType;

    Precision(DataType dataType) {
        this.dataType = dataType;
    }

    public DataType dataType() {
        return dataType;
    }
}
