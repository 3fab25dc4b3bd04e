package io.dbbudget.budget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.dbbudget.budget.FairShare.Want;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link FairShare}: allocation tables checked by hand.
 */
class FairShareTests {

	@ParameterizedTest(name = "capacity {0}, floor {1}, demands [{2}] -> [{3}]")
	@CsvSource(delimiter = ';', textBlock = """
			# The issue's uneven fleet: 25 for 4 pools, one busy member and three light ones
			25; 1; 60 4 2 2;   17 4 2 2
			# Nobody asks: floors, then equal parts, the remainder in slot order
			21; 1; 0 0;        11 10
			23; 1; 0 0 0 0 0 0; 4 4 4 4 4 3
			# Everyone asks for more than there is: an equal split
			24; 1; 50 50 50;   8 8 8
			25; 1; 50 50 50;   9 8 8
			# Light members get what they ask, two heavy ones share the rest equally
			30; 1; 3 40 40 1;  3 13 13 1
			# Demand below the floor still gets the floor
			10; 2; 0 1 20;     2 2 6
			# Ties: the same demand, the odd connection goes to the lowest slot
			9; 1; 6 6;         5 4
			# A member that has not said counts as wanting an equal share (20 / 4 = 5)
			20; 1; - 30 30 1;  5 7 7 1
			# Every demand met: the spare is split equally too, the odd connection to the lowest slot
			12; 1; 5 5 1;      6 5 1
			# Exactly the floors
			4; 1; 9 9 9 9;     1 1 1 1
			""")
	void allocatesMaxMinFairByDemand(int capacity, int floor, String demands, String expected) {
		List<Want> wants = new ArrayList<>();
		String[] values = demands.trim().split("\\s+");
		for (int slot = 0; slot < values.length; slot++) {
			wants.add(new Want(slot, values[slot].equals("-") ? null : Integer.valueOf(values[slot])));
		}
		Map<Integer, Integer> allocation = FairShare.allocate(capacity, floor, wants);
		assertThat(allocation.values()).map(String::valueOf).containsExactly(expected.trim().split("\\s+"));
		assertThat(allocation.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(capacity);
	}

	@Test
	void allocationIsKeyedBySlotInTheOrderGiven() {
		Map<Integer, Integer> allocation = FairShare.allocate(10, 1,
				List.of(new Want(2, 8), new Want(5, 1), new Want(9, 1)));
		assertThat(allocation).containsExactly(Map.entry(2, 8), Map.entry(5, 1), Map.entry(9, 1));
	}

	@Test
	void moreMembersThanConnectionsIsRefusedWithTheNumbers() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> FairShare.allocate(5, 2, List.of(new Want(0, 1), new Want(1, 1), new Want(2, 1))))
			.withMessage("3 members need at least 2 connections each, but only 5 are there");
	}

	@Test
	void noMembersGetNothing() {
		assertThat(FairShare.allocate(10, 1, List.of())).isEmpty();
	}

}
