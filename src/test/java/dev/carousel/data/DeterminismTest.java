package dev.carousel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A sequence is a pure function of (seed, split, partition, index), for every task. */
class DeterminismTest {

    static Stream<SequenceTask> tasks() {
        return Stream.of(new AddingTask(12), new CopyTask(5), new TemporalOrderTask(15));
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void sameCoordinatesGiveIdenticalArrays(SequenceTask task) {
        SequenceBatch a = task.batch(123, Split.TRAIN, 2, 5, 8);
        SequenceBatch b = task.batch(123, Split.TRAIN, 2, 5, 8);
        assertArrayEquals(a.inputs(), b.inputs());
        assertArrayEquals(a.targets(), b.targets());
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void batchRowIsTheSequenceWhateverTheBatchSize(SequenceTask task) {
        int k = 3;
        int size = 7;
        SequenceBatch batch = task.batch(9, Split.VALIDATION, 1, k, size);
        for (int b = 0; b < size; b++) {
            long index = (long) k * size + b;
            // The same sequence, reached through a batch of 5 (index = 5·(index/5) + index%5) and alone.
            SequenceBatch other = task.batch(9, Split.VALIDATION, 1, index / 5, 5);
            int row = (int) (index % 5);
            SequenceBatch alone = TestRows.one(task, 9, Split.VALIDATION, 1, index);
            assertArrayEquals(TestRows.inputs(other, row), TestRows.inputs(batch, b), "inputs of index " + index);
            assertArrayEquals(TestRows.targets(other, row), TestRows.targets(batch, b), "targets of index " + index);
            assertArrayEquals(TestRows.inputs(alone, 0), TestRows.inputs(batch, b));
            assertArrayEquals(TestRows.targets(alone, 0), TestRows.targets(batch, b));
        }
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void anyChangedCoordinateGivesDifferentData(SequenceTask task) {
        double[] base = TestRows.one(task, 1, Split.TRAIN, 0, 0).inputs();
        double[][] others = {
            TestRows.one(task, 2, Split.TRAIN, 0, 0).inputs(),
            TestRows.one(task, 1, Split.VALIDATION, 0, 0).inputs(),
            TestRows.one(task, 1, Split.TEST, 0, 0).inputs(),
            TestRows.one(task, 1, Split.TRAIN, 1, 0).inputs(),
            TestRows.one(task, 1, Split.TRAIN, 0, 1).inputs(),
        };
        for (double[] other : others) {
            assertFalse(Arrays.equals(base, other), "changing one coordinate must change the sequence");
        }
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void rejectsABatchOfTheWrongShapeOrRow(SequenceTask task) {
        SequenceBatch batch = task.batch(1, Split.TRAIN, 0, 0, 2);
        assertThrows(IllegalArgumentException.class, () -> task.fill(1, Split.TRAIN, 0, 0, batch, 2));
        SequenceBatch wrong = new SequenceBatch(task.sequenceLength() + 1, 1, task.inputSize(), task.outputSize(),
                new double[(task.sequenceLength() + 1) * task.inputSize()],
                new double[(task.sequenceLength() + 1) * task.outputSize()], task.supervision());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> task.fill(1, Split.TRAIN, 0, 0, wrong, 0));
        assertEquals(true, e.getMessage().startsWith(task.name() + ": batch has"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> task.fill(1, Split.TRAIN, -1, 0, batch, 0));
    }
}
