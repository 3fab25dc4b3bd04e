package io.dbbudget.server.pgbouncer;

import io.dbbudget.budget.ServerLimits;
import org.jspecify.annotations.Nullable;

/**
 * What PgBouncer allows a pool's clients, as read from its admin console, or why it could not
 * be read.
 *
 * @param limits the limits to budget against, with source
 * {@link ServerLimits.Source#PGBOUNCER}; {@code null} if they could not be read
 * @param poolMode the pool mode of the pool's database and user; {@link PoolMode#UNKNOWN} if
 * the limits could not be read
 * @param unreadableReason why the limits could not be read, {@code null} if they were
 * @author db-budget team
 */
public record PgBouncerLimits(@Nullable ServerLimits limits, PoolMode poolMode, @Nullable String unreadableReason) {

	static PgBouncerLimits readable(ServerLimits limits, PoolMode poolMode) {
		return new PgBouncerLimits(limits, poolMode, null);
	}

	/**
	 * Limits that could not be read.
	 * @param reason why
	 * @return the result
	 */
	public static PgBouncerLimits unreadable(String reason) {
		return new PgBouncerLimits(null, PoolMode.UNKNOWN, reason);
	}

	/**
	 * Whether PgBouncer's limits could be read.
	 * @return {@code true} if {@link #limits()} is set
	 */
	public boolean isReadable() {
		return this.limits != null;
	}

}
