package io.dbbudget.pool;

import java.util.Locale;

import io.dbbudget.budget.BudgetMode;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.server.pgbouncer.PgBouncerLimits;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * What a pooler between the pools and their server changes. {@code SHOW max_connections}
 * through PgBouncer answers the server behind it, not what PgBouncer lets clients open: the
 * budget is PgBouncer's own, read from its admin console, and where that cannot be read
 * db-budget refuses to guess. Session advisory locks, which count the fleet, hold only where
 * PgBouncer keeps a client's server session: in session mode.
 *
 * @author db-budget team
 */
final class PoolerRules {

	private static final Log logger = LogFactory.getLog(PoolerRules.class);

	/**
	 * What to do where coordination cannot count the fleet through the server's pooler.
	 */
	static final String COORDINATION_ACTION = "Run the pool's database in pool_mode = session in "
			+ "pgbouncer.ini, or set db.budget.coordination.enabled=false and db.budget.instances to the number of "
			+ "instances.";

	private PoolerRules() {
	}

	/**
	 * The limits to budget the server's pools against.
	 * @param reading what the probe read
	 * @param settings the server's settings
	 * @param address the server
	 * @return the limits, or {@code null} in {@code warn} mode when PgBouncer's limits cannot
	 * be read: the pools are then left as configured
	 * @throws InvalidBudgetException in {@code enforce} and {@code fail} modes, when
	 * PgBouncer's limits cannot be read
	 */
	static @Nullable ServerLimits limits(ServerReading reading, BudgetSettings settings, ServerAddress address) {
		PgBouncerLimits pooler = reading.pooler();
		if (pooler == null) {
			return reading.limits();
		}
		if (pooler.isReadable()) {
			logger.info("db-budget: " + address + " is PgBouncer (" + mode(pooler) + "): the pools are budgeted "
					+ "against what it lets clients open, not the max_connections of the server behind it");
			return pooler.limits();
		}
		String property = settings.property("max-connections");
		String reason = address + " is PgBouncer, whose own limits cannot be read (" + pooler.unreadableReason()
				+ "), and SHOW max_connections through it answers the server behind it, not PgBouncer's max_client_conn";
		String action = "Set " + property + " to what PgBouncer lets this service's clients open (its max_client_conn, "
				+ "or less where other services share it), or add the pool's user to stats_users in pgbouncer.ini.";
		if (settings.mode() == BudgetMode.WARN) {
			logger.warn("db-budget: the pools on " + address + " are left as configured: " + reason + ". " + action);
			return null;
		}
		throw new InvalidBudgetException(property, "not set", reason, action);
	}

	/**
	 * Whether fleet coordination can count the fleet through the server's pooler.
	 * @param pooler what PgBouncer allows, or {@code null} when the pools reach the server
	 * directly or it was not asked
	 * @param settings the server's settings
	 * @param address the server
	 * @return whether coordination may run; {@code false} in {@code warn} mode when it may not
	 * @throws InvalidBudgetException in {@code enforce} and {@code fail} modes, when it may
	 * not
	 */
	static boolean coordinationSafe(@Nullable PgBouncerLimits pooler, BudgetSettings settings, ServerAddress address) {
		String reason = coordinationRefusal(pooler, address);
		if (reason == null) {
			return true;
		}
		if (settings.mode() == BudgetMode.WARN) {
			logger.error("db-budget: fleet coordination is off for " + address + ": " + reason + ". "
					+ COORDINATION_ACTION);
			return false;
		}
		throw new InvalidBudgetException("db.budget.coordination.enabled", "true", reason, COORDINATION_ACTION);
	}

	/**
	 * Why fleet coordination cannot count the fleet through the server's pooler.
	 * @param pooler what PgBouncer allows, or {@code null} when the pools reach the server
	 * directly
	 * @param address the server
	 * @return the reason, or {@code null} when coordination can
	 */
	static @Nullable String coordinationRefusal(@Nullable PgBouncerLimits pooler, ServerAddress address) {
		if (pooler == null || pooler.poolMode().keepsSessions()) {
			return null;
		}
		return address + " is PgBouncer in " + mode(pooler) + ", where the session advisory locks that count the "
				+ "fleet would be left on server connections other clients then use";
	}

	private static String mode(PgBouncerLimits pooler) {
		return pooler.isReadable() ? pooler.poolMode().name().toLowerCase(Locale.ROOT) + " mode"
				: "a pool mode that cannot be read (" + pooler.unreadableReason() + ")";
	}

}
