package dev.carousel.nn;

/** The recurrent cell. */
public enum CellType {
    /** LSTM with a configurable forget gate (docs/science.md). Gate order everywhere: i, f, g, o. */
    LSTM,
    /** h_t = tanh(x_t W_x + h_{t−1} W_h + b), W_h initialised as gain · orthogonal. */
    RNN
}
