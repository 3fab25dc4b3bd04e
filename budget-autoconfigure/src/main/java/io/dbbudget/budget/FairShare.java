package io.dbbudget.budget;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Max-min fair allocation of a fleet's connections by demand, computed the same way by every
 * member from the same published demands.
 * <p>
 * Every member first gets the floor. The rest goes in rounds of equal parts to the members
 * whose demand is not met yet: a member that asks for less than an equal part gets what it
 * asks, and what it leaves is split among those that want more. Whatever no demand claims is
 * then split equally too, so that a member whose load rises can grow before the next count.
 * Parts that do not divide evenly go one by one in slot order, so flooring loses nothing and
 * the allocations always add up to the capacity.
 *
 * @author db-budget team
 */
public final class FairShare {

	private FairShare() {
	}

	/**
	 * Allocates a fleet's connections.
	 * @param capacity the connections the members' pools may hold in all
	 * @param floor the connections every member gets whatever its demand
	 * @param wants each member's demand, in slot order; a member whose demand is unknown
	 * (an older version, a member that has just joined) counts as wanting an equal share
	 * @return each member's allocation by slot, in slot order, adding up to {@code capacity}
	 * @throws IllegalArgumentException if the capacity cannot give every member its floor
	 */
	public static Map<Integer, Integer> allocate(int capacity, int floor, List<Want> wants) {
		int members = wants.size();
		if ((long) floor * members > capacity) {
			throw new IllegalArgumentException(
					members + " members need at least " + floor + " connections each, but only " + capacity + " are there");
		}
		int equalShare = (members > 0) ? capacity / members : 0;
		int[] allocation = new int[members];
		int[] unmet = new int[members];
		for (int i = 0; i < members; i++) {
			allocation[i] = floor;
			Integer demand = wants.get(i).demand();
			unmet[i] = Math.max(0, ((demand != null) ? demand : equalShare) - floor);
		}
		int rest = fill(capacity - floor * members, allocation, unmet);
		int[] unlimited = new int[members];
		Arrays.fill(unlimited, Integer.MAX_VALUE);
		fill(rest, allocation, unlimited);
		Map<Integer, Integer> bySlot = new LinkedHashMap<>();
		for (int i = 0; i < members; i++) {
			bySlot.put(wants.get(i).slot(), allocation[i]);
		}
		return bySlot;
	}

	// Water-filling: equal parts to every member with an unmet want until the spare is smaller
	// than the number of them, then one each in slot order. Returns what no want claimed.
	private static int fill(int spare, int[] allocation, int[] unmet) {
		while (spare > 0) {
			int wanting = (int) Arrays.stream(unmet).filter((want) -> want > 0).count();
			if (wanting == 0) {
				return spare;
			}
			int part = Math.max(1, spare / wanting);
			for (int i = 0; i < unmet.length && spare > 0; i++) {
				int given = Math.min(part, unmet[i]);
				allocation[i] += given;
				unmet[i] -= given;
				spare -= given;
			}
		}
		return spare;
	}

	/**
	 * What one member asks for.
	 *
	 * @param slot the member's slot in its group
	 * @param demand the connections it would use, or {@code null} when it has not said
	 */
	public record Want(int slot, @Nullable Integer demand) {

	}

}
