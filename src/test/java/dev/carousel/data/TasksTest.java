package dev.carousel.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TasksTest {

    @Test
    void createsEachNamedTask() {
        assertEquals(List.of("adding", "copy", "temporal-order"), Tasks.NAMES);
        assertInstanceOf(AddingTask.class, Tasks.create("adding", 50));
        assertInstanceOf(CopyTask.class, Tasks.create("copy", 30));
        assertInstanceOf(TemporalOrderTask.class, Tasks.create("temporal-order", 100));
        for (String name : Tasks.NAMES) {
            assertEquals(name, Tasks.create(name, 100).name());
        }
        assertEquals(50, Tasks.create("copy", 30).sequenceLength(), "copy's length argument is the delay");
    }

    @Test
    void unknownNameListsTheAcceptedNames() {
        for (String bad : new String[] {"add", "Adding", "", null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tasks.create(bad, 100));
            assertTrue(e.getMessage().contains("adding, copy, temporal-order"), e.getMessage());
        }
    }

    @Test
    void tooShortNamesTheMinimum() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.create("adding", 1))
                .getMessage().contains(">= 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.create("copy", 0))
                .getMessage().contains("[1, "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.create("temporal-order", 9))
                .getMessage().contains("[10, "));
    }
}
