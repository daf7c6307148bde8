package dev.carousel.data;

import java.util.List;

/** Builds a generated task from its config name and length. */
public final class Tasks {
    private Tasks() {}

    /** The accepted task names, in the order they are listed in errors. */
    public static final List<String> NAMES = List.of("adding", "copy", "temporal-order");

    /**
     * @param name   one of {@link #NAMES}
     * @param length the task's T: sequence length for adding (≥ 2) and temporal-order (≥ 10), the delay for
     *               copy (≥ 1, giving T+20 steps)
     * @throws IllegalArgumentException for an unknown name (listing the accepted ones) or a length below
     *                                  the task's minimum (naming it)
     */
    public static SequenceTask create(String name, int length) {
        if (name == null) {
            throw new IllegalArgumentException("task name must not be null; accepted names: " + String.join(", ", NAMES));
        }
        return switch (name) {
            case "adding" -> new AddingTask(length);
            case "copy" -> new CopyTask(length);
            case "temporal-order" -> new TemporalOrderTask(length);
            default -> throw new IllegalArgumentException("unknown task name '" + name + "'; accepted names: "
                    + String.join(", ", NAMES));
        };
    }
}
