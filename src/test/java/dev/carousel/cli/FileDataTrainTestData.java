package dev.carousel.cli;

/** The small CSV dataset and run config of the file-data tests, shared with the tests of other packages. */
public final class FileDataTrainTestData {
    private FileDataTrainTestData() {}

    public static final String BASE = "model.hidden = 6\ntraining { batch-size = 4, updates = 6, eval-every = 3 }\n"
            + "distributed { partitions = 2, local-steps = 3 }\nprobes.every = 3\n";

    /** 40 sequences of 5 steps with 2 features and a target y at the last step, one row per step. */
    public static String csv(boolean broken) {
        StringBuilder sb = new StringBuilder("seq_id,t,x1,x2,y\n");
        for (int s = 0; s < 40; s++) {
            for (int t = 0; t < 5; t++) {
                String x1 = broken && s == 7 && t == 2 ? "oops" : String.valueOf((s * 7 + t) % 10 / 10.0);
                sb.append(s).append(',').append(t).append(',').append(x1).append(',').append(t == 1 ? 1 : 0)
                        .append(',').append(t == 4 ? String.valueOf(s % 3) : "").append('\n');
            }
        }
        return sb.toString();
    }

}
