package dev.carousel.spark;

import static dev.carousel.spark.DataFiles.feature;
import static dev.carousel.spark.DataFiles.target;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/** File datasets that are valid: shapes, values, supervision, shards, batch order and the held-out split. */
class FileDatasetTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = DataFiles.session("file-dataset-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The shards, collected to the driver in partition order. */
    static List<FileShard> collect(JavaRDD<Shard> shards) {
        List<FileShard> out = new ArrayList<>();
        for (Shard s : shards.collect()) {
            out.add((FileShard) s);
        }
        out.sort(Comparator.comparingInt(FileShard::partition));
        return out;
    }

    /** Every shard: one per partition, in its partition, holding the indices i with rank(i) mod N = p. */
    static void assertRoundRobin(List<FileShard> shards, List<Long> training) {
        int n = shards.size();
        for (int p = 0; p < n; p++) {
            assertEquals(p, shards.get(p).partition());
            List<Long> expected = new ArrayList<>();
            for (int j = p; j < training.size(); j += n) {
                expected.add(training.get(j));
            }
            assertEquals(expected, Arrays.stream(shards.get(p).indices()).boxed().toList(), "partition " + p);
        }
    }

    /** Over a whole number of epochs, in batches of B, each epoch visits every sequence of the shard once. */
    static void assertEpochs(FileShard shard, int batchSize, int epochs) {
        int n = (int) shard.size();
        List<Long> stream = new ArrayList<>();
        for (long k = 0; stream.size() < (long) epochs * n; k++) {
            for (long i : shard.batchIndices(k, batchSize)) {
                stream.add(i);
            }
        }
        TreeSet<Long> all = new TreeSet<>(Arrays.stream(shard.indices()).boxed().toList());
        for (int e = 0; e < epochs; e++) {
            List<Long> epoch = new ArrayList<>(stream.subList(e * n, e * n + n));
            Collections.sort(epoch);
            assertEquals(new ArrayList<>(all), epoch, "epoch " + e + " of partition " + shard.partition() + " at B=" + batchSize);
        }
    }

    @Test
    void parquetRegressionShapesValuesShardsAndDeterminism(@TempDir Path dir) throws IOException {
        int n = 12;
        int steps = 5;
        int inputs = 3;
        int outputs = 2;
        Path data = dir.resolve("reg.parquet");
        DataFiles.writeParquet(spark, data, DataFiles.regressionSchema(DataTypes.FloatType),
                DataFiles.regressionRows(n, steps, inputs, outputs));

        try (FileDataset ds = FileDataset.open(spark, "parquet", data, 0)) {
            assertEquals(steps, ds.sequenceLength());
            assertEquals(inputs, ds.inputSize());
            assertEquals(outputs, ds.outputSize());
            assertEquals(Supervision.lastStep(LossKind.MSE, steps), ds.supervision());
            assertEquals(n, ds.size());
            assertEquals(n, ds.trainingSize());
            assertEquals(0, ds.validationSize());
            assertTrue(ds.validationBatches(4).isEmpty());

            JavaRDD<Shard> rdd = ds.shards(3, 7L);
            assertEquals(StorageLevel.MEMORY_ONLY_SER(), rdd.getStorageLevel());
            assertEquals(3, rdd.getNumPartitions());
            // one shard per partition, and it is the partition's own
            List<List<Shard>> perPartition = rdd.glom().collect();
            for (int p = 0; p < 3; p++) {
                assertEquals(1, perPartition.get(p).size());
                assertEquals(p, perPartition.get(p).get(0).partition());
            }
            List<FileShard> shards = collect(rdd);
            assertRoundRobin(shards, LongStream.range(0, n).boxed().toList());

            for (FileShard shard : shards) {
                assertEquals(4, shard.size());
                assertEpochs(shard, 2, 3);
                assertEpochs(shard, 3, 3); // epoch boundaries inside batches
                for (long k = 0; k < 4; k++) {
                    SequenceBatch batch = shard.trainingBatch(k, 3);
                    long[] which = shard.batchIndices(k, 3);
                    assertEquals(steps, batch.steps());
                    assertEquals(3, batch.batchSize());
                    for (int b = 0; b < 3; b++) {
                        int s = (int) which[b];
                        for (int t = 0; t < steps; t++) {
                            for (int i = 0; i < inputs; i++) {
                                assertEquals(feature(s, t, i), batch.input(t, b, i), "s=" + s + " t=" + t + " i=" + i);
                            }
                            for (int o = 0; o < outputs; o++) {
                                assertEquals(t == steps - 1 ? target(s, o) : 0.0, batch.target(t, b, o));
                            }
                        }
                    }
                }
            }
            // The same batches when computed by Spark tasks on the executors (as a retried task would).
            // (SequenceBatch is not Serializable, so its arrays travel back.)
            List<Tuple2<double[], double[]>> onExecutors = rdd.map(s -> {
                SequenceBatch b = s.trainingBatch(5, 3);
                return new Tuple2<>(b.inputs(), b.targets());
            }).collect();
            for (int p = 0; p < 3; p++) {
                SequenceBatch here = shards.get(p).trainingBatch(5, 3);
                assertArrayEquals(here.inputs(), onExecutors.get(p)._1());
                assertArrayEquals(here.targets(), onExecutors.get(p)._2());
            }

            // Same seed, dataset read again: identical shards and batches. Another seed: another order.
            try (FileDataset again = FileDataset.open(spark, "parquet", data, steps)) {
                List<FileShard> same = collect(again.shards(3, 7L));
                List<FileShard> other = collect(again.shards(3, 8L));
                boolean differs = false;
                for (int p = 0; p < 3; p++) {
                    for (long k = 0; k < 10; k++) {
                        assertEquals(shards.get(p).trainingBatch(k, 2), same.get(p).trainingBatch(k, 2));
                        differs |= !Arrays.equals(shards.get(p).batchIndices(k, 2), other.get(p).batchIndices(k, 2));
                    }
                }
                assertTrue(differs, "another seed must give another batch order");
            }
            rdd.unpersist(false);
        }
    }

    @Test
    void parquetClassificationWithDoublesLabelsAndHeldOutSplit(@TempDir Path dir) throws IOException {
        int n = 12;
        int steps = 4;
        int inputs = 2;
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            rows.add(RowFactory.create(DataFiles.doubleFeatures(s, steps, inputs), s % 4));
        }
        Path data = dir.resolve("cls");
        DataFiles.writeParquet(spark, data, DataFiles.classificationSchema(DataTypes.DoubleType), rows);

        try (FileDataset ds = FileDataset.open(spark, "parquet", data, 0, 0.25)) {
            assertEquals(4, ds.outputSize(), "O = max label + 1");
            assertEquals(Supervision.lastStep(LossKind.CROSS_ENTROPY, steps), ds.supervision());
            assertEquals(3, ds.validationSize());
            assertEquals(9, ds.trainingSize());
            // f = 1/4: every 4th sequence is held out
            List<Long> heldOut = LongStream.range(0, n).filter(ds::isHeldOut).boxed().toList();
            assertEquals(List.of(3L, 7L, 11L), heldOut);

            List<SequenceBatch> val = ds.validationBatches(2);
            assertEquals(2, val.size());
            assertEquals(2, val.get(0).batchSize());
            assertEquals(1, val.get(1).batchSize());
            int[][] where = {{0, 0}, {0, 1}, {1, 0}};
            for (int k = 0; k < 3; k++) {
                SequenceBatch b = val.get(where[k][0]);
                int row = where[k][1];
                int s = (int) (long) heldOut.get(k);
                assertEquals(feature(s, steps - 1, 1), b.input(steps - 1, row, 1));
                for (int o = 0; o < 4; o++) {
                    assertEquals(o == s % 4 ? 1.0 : 0.0, b.target(steps - 1, row, o), "one-hot label of " + s);
                }
            }

            List<FileShard> shards = collect(ds.shards(2, 11L));
            List<Long> training = LongStream.range(0, n).filter(i -> !ds.isHeldOut(i)).boxed().toList();
            assertRoundRobin(shards, training);
            for (FileShard shard : shards) {
                assertEpochs(shard, 2, 2);
                SequenceBatch b = shard.trainingBatch(0, 2);
                long[] which = shard.batchIndices(0, 2);
                for (int r = 0; r < 2; r++) {
                    int s = (int) which[r];
                    assertEquals(feature(s, 0, 0), b.input(0, r, 0));
                    assertEquals(1.0, b.target(steps - 1, r, s % 4));
                }
            }
        }
        try (FileDataset six = FileDataset.open(spark, "parquet", data, steps, 0, 6)) {
            assertEquals(6, six.outputSize(), "a given number of classes");
        }
    }

    @Test
    void csvWithTargetByHeaderNameAnyLineOrderAcrossFiles(@TempDir Path dir) throws IOException {
        int steps = 4;
        int[] ids = {0, 1, 2, 3, 4, 10}; // 10 sorts numerically after 4, so its index is 5
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < ids.length; k++) {
            int id = ids[k];
            for (int t = 0; t < steps; t++) {
                String y = t == steps - 1 ? Double.toString(target(k, 0)) : "";
                lines.add(t + "," + feature(k, t, 1) + "," + id + "," + feature(k, t, 0) + "," + y);
            }
        }
        Collections.shuffle(lines, new Random(5));
        Path data = dir.resolve("csv");
        Files.createDirectories(data);
        String header = "t,x2,seq_id,x1,y\n";
        Files.writeString(data.resolve("a.csv"), header + String.join("\n", lines.subList(0, 10)) + "\n");
        Files.writeString(data.resolve("b.csv"), header + String.join("\r\n", lines.subList(10, lines.size())) + "\r\n\r\n");
        Files.writeString(data.resolve("_SUCCESS"), "");

        try (FileDataset ds = FileDataset.open(spark, "csv", data, 0)) {
            assertEquals(steps, ds.sequenceLength());
            assertEquals(2, ds.inputSize());
            assertEquals(1, ds.outputSize());
            assertEquals(Supervision.lastStep(LossKind.MSE, steps), ds.supervision());
            assertEquals(ids.length, ds.size());
            List<FileShard> shards = collect(ds.shards(2, 3L));
            assertRoundRobin(shards, LongStream.range(0, ids.length).boxed().toList());
            for (FileShard shard : shards) {
                assertEpochs(shard, 3, 2);
                SequenceBatch b = shard.trainingBatch(0, 3);
                long[] which = shard.batchIndices(0, 3);
                for (int r = 0; r < 3; r++) {
                    int k = (int) which[r];
                    for (int t = 0; t < steps; t++) {
                        assertEquals(feature(k, t, 0), b.input(t, r, 0), "x1 of index " + k);
                        assertEquals(feature(k, t, 1), b.input(t, r, 1), "x2 of index " + k);
                    }
                    assertEquals(target(k, 0), b.target(steps - 1, r, 0));
                }
            }
        }
    }

    @Test
    void csvWithoutTargetIsNextStepPrediction(@TempDir Path dir) throws IOException {
        StringBuilder csv = new StringBuilder("seq_id,t,x1,x2\n");
        for (int s = 0; s < 4; s++) {
            for (int t = 0; t < 5; t++) {
                csv.append(s).append(',').append(t).append(',').append(feature(s, t, 0)).append(',')
                        .append(feature(s, t, 1)).append('\n');
            }
        }
        Path data = dir.resolve("series.csv");
        Files.writeString(data, csv);
        try (FileDataset ds = FileDataset.open(spark, "csv", data, 4)) {
            assertEquals(4, ds.sequenceLength(), "5 stored steps: 4 inputs, each predicting the next");
            assertEquals(2, ds.outputSize());
            assertEquals(Supervision.everyStep(LossKind.MSE, 4), ds.supervision());
            FileShard shard = collect(ds.shards(1, 1L)).get(0);
            SequenceBatch b = shard.trainingBatch(0, 4);
            long[] which = shard.batchIndices(0, 4);
            for (int r = 0; r < 4; r++) {
                int s = (int) which[r];
                for (int t = 0; t < 4; t++) {
                    for (int i = 0; i < 2; i++) {
                        assertEquals(feature(s, t, i), b.input(t, r, i));
                        assertEquals(feature(s, t + 1, i), b.target(t, r, i));
                    }
                }
            }
        }
    }

    @Test
    void textWindowsAreOneHotCharactersWithNextCharacterTargets(@TempDir Path dir) throws IOException {
        String text = "hello carousel\nthe constant error carousel\n"; // 43 characters: 5 windows of 9
        Path data = dir.resolve("corpus.txt");
        Files.writeString(data, text);
        int steps = 8;
        try (FileDataset ds = FileDataset.open(spark, "text", data, steps, 0.2)) {
            String vocab = text.chars().distinct().sorted()
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            assertEquals(vocab, ds.vocabulary());
            assertEquals(vocab.length(), ds.inputSize());
            assertEquals(vocab.length(), ds.outputSize());
            assertEquals(steps, ds.sequenceLength());
            assertEquals(Supervision.everyStep(LossKind.CROSS_ENTROPY, steps), ds.supervision());
            assertEquals((text.length() - 1) / steps, ds.size(), "windows of T+1 at stride T");
            assertEquals(1, ds.validationSize());
            assertTrue(ds.isHeldOut(4));

            SequenceBatch held = ds.validationBatches(8).get(0);
            assertWindow(held, 0, text, 4, steps, vocab);

            List<FileShard> shards = collect(ds.shards(2, 9L));
            assertRoundRobin(shards, List.of(0L, 1L, 2L, 3L));
            for (FileShard shard : shards) {
                assertEpochs(shard, 1, 3);
                for (long k = 0; k < 4; k++) {
                    SequenceBatch b = shard.trainingBatch(k, 2);
                    long[] which = shard.batchIndices(k, 2);
                    for (int r = 0; r < 2; r++) {
                        assertWindow(b, r, text, (int) which[r], steps, vocab);
                    }
                }
            }
            List<FileShard> again = collect(ds.shards(2, 9L));
            for (int p = 0; p < 2; p++) {
                for (long k = 0; k < 6; k++) {
                    assertEquals(shards.get(p).trainingBatch(k, 3), again.get(p).trainingBatch(k, 3));
                }
            }
        }
    }

    static void assertWindow(SequenceBatch b, int row, String text, int window, int steps, String vocab) {
        for (int t = 0; t < steps; t++) {
            int in = vocab.indexOf(text.charAt(window * steps + t));
            int out = vocab.indexOf(text.charAt(window * steps + t + 1));
            for (int v = 0; v < vocab.length(); v++) {
                assertEquals(v == in ? 1.0 : 0.0, b.input(t, row, v), "window " + window + " t=" + t);
                assertEquals(v == out ? 1.0 : 0.0, b.target(t, row, v), "window " + window + " t=" + t);
            }
        }
    }

    @Test
    void heldOutSplitIsEvenlySpreadAndCountsAreExact() {
        long ppm = 100_000; // f = 0.1
        List<Long> held = LongStream.range(0, 30).filter(i -> FileDataset.heldOut(i, ppm)).boxed().toList();
        assertEquals(List.of(9L, 19L, 29L), held);
        for (long n = 0; n < 200; n++) {
            long count = 0;
            for (long i = 0; i < n; i++) {
                if (FileDataset.heldOut(i, 333_333)) {
                    count++;
                } else {
                    assertEquals(i - count, FileDataset.trainingRank(i, 333_333), "rank of " + i);
                }
            }
            assertEquals(n * 333_333 / 1_000_000, count, "held out of " + n);
        }
        assertFalse(Arrays.equals(FileShard.permutation(1, 0, 0, 50), FileShard.permutation(1, 0, 1, 50)),
                "each epoch draws its own order");
        assertFalse(Arrays.equals(FileShard.permutation(1, 0, 0, 50), FileShard.permutation(1, 1, 0, 50)),
                "each partition draws its own order");
        assertArrayEquals(FileShard.permutation(1, 0, 0, 50), FileShard.permutation(1, 0, 0, 50));
    }
}
