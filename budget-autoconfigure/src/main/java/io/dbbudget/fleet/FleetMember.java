package io.dbbudget.fleet;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * A member of a fleet's group, as any server's membership reads it.
 *
 * @param slot the slot it holds
 * @param state what it published, or {@code null} if it has published nothing
 * @param heartbeat how often it takes its turn, rounded up to a tenth of a second, or
 * {@code null} if it has not said (an older version, a server where members publish nothing)
 * @author db-budget team
 */
public record FleetMember(int slot, @Nullable MemberState state, @Nullable Duration heartbeat) {

	/**
	 * Creates a member that has not said how often it takes its turn.
	 * @param slot the slot it holds
	 * @param state what it published, or {@code null} if it has published nothing
	 */
	public FleetMember(int slot, @Nullable MemberState state) {
		this(slot, state, null);
	}

}
