package io.dbbudget.fleet;

import org.jspecify.annotations.Nullable;

/**
 * A member of a fleet's group, as any server's membership reads it.
 *
 * @param slot the slot it holds
 * @param state what it published, or {@code null} if it has published nothing
 * @author db-budget team
 */
public record FleetMember(int slot, @Nullable MemberState state) {

}
