package numatp.topology;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdSetTest {
    @Test
    void parsesKernelListForms() {
        assertEquals(IdSet.of(0, 1, 2, 3, 8, 9, 10, 11), IdSet.parseList("0-3,8-11\n", "t"));
        assertEquals(IdSet.of(5), IdSet.parseList("5\n\0", "t"));
        assertEquals(IdSet.empty(), IdSet.parseList("\n", "t"));
        assertEquals(IdSet.of(0, 1, 4, 5, 8, 9), IdSet.parseList("0-11:2/4", "t"));
    }

    @Test
    void parsesKernelMaskForms() {
        assertEquals(IdSet.range(0, 15), IdSet.parseMask("00000000,0000ffff\n", "t"));
        assertEquals(IdSet.of(32, 0), IdSet.parseMask("00000001,00000001", "t"));
        assertEquals(IdSet.empty(), IdSet.parseMask("00000000\n\0", "t"));
    }

    @Test
    void malformedInputNamesTheSourceAndContent() {
        for (String bad : new String[] {"0-", "a", "3-1", "1,,2", "0-3:5/4", "99999999999"}) {
            TopologyException e = assertThrows(TopologyException.class, () -> IdSet.parseList(bad, "/sys/x/cpulist"));
            assertTrue(e.getMessage().startsWith("/sys/x/cpulist: malformed id list '"), e.getMessage());
        }
        assertThrows(TopologyException.class, () -> IdSet.parseMask("zz", "m"));
        assertThrows(TopologyException.class, () -> IdSet.parseMask("123456789", "m"));
    }

    @Test
    void listAndMaskRoundTripRandomSets() {
        long seed = 0x1D5E7L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            BitSet bits = new BitSet();
            int n = random.nextInt(0, 40);
            int max = random.nextInt(1, 600);
            for (int k = 0; k < n; k++) {
                bits.set(random.nextInt(max));
            }
            IdSet set = IdSet.fromBitSet(bits);
            String context = "seed=" + seed + " case=" + i + " set=" + set;
            assertEquals(set, IdSet.parseList(set.toListString(), "t"), context);
            assertEquals(set, IdSet.parseMask(set.toMaskString(), "t"), context);
            assertEquals(bits.cardinality(), set.size(), context);
        }
    }
}
