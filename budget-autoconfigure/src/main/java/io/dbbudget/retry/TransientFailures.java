package io.dbbudget.retry;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Tells transient connection failures, worth waiting for, from permanent ones.
 *
 * @author db-budget team
 */
public final class TransientFailures {

	/**
	 * The reason given for a pool timeout that carries no SQLSTATE.
	 */
	public static final String POOL_TIMEOUT = "pool-timeout";

	// too many connections; admin shutdown, crash shutdown, cannot connect now (starting);
	// unable to connect, connection failure
	private static final Set<String> TRANSIENT_STATES = Set.of("53300", "57P01", "57P02", "57P03", "08001", "08006");

	private TransientFailures() {
	}

	/**
	 * The reason a failure is transient.
	 * @param failure what {@code getConnection()} threw
	 * @return the transient SQLSTATE found in the cause chain (Hikari wraps the driver's error
	 * in its pool timeout), {@link #POOL_TIMEOUT} for a pool timeout without one, or
	 * {@code null} if the failure is permanent: wrong password, unknown database, missing
	 * privilege, an interrupt, anything else
	 */
	public static @Nullable String reason(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof InterruptedException) {
				return null;
			}
			if (cause instanceof SQLException sqlException && sqlException.getSQLState() != null) {
				String state = sqlException.getSQLState();
				if (TRANSIENT_STATES.contains(state)) {
					return state;
				}
				if (!(cause instanceof SQLTransientConnectionException)) {
					return null;
				}
			}
		}
		return isPoolTimeout(failure) ? POOL_TIMEOUT : null;
	}

	/**
	 * Whether a failure is transient.
	 * @param failure what {@code getConnection()} threw
	 * @return {@code true} if it is worth retrying
	 */
	public static boolean isTransient(Throwable failure) {
		return reason(failure) != null;
	}

	/**
	 * A short name for a failure, transient or not, for metrics.
	 * @param failure what {@code getConnection()} threw
	 * @return the transient reason, the SQLSTATE, or {@code other}
	 */
	public static String tag(Throwable failure) {
		String reason = reason(failure);
		if (reason != null) {
			return reason;
		}
		return (failure instanceof SQLException sqlException && sqlException.getSQLState() != null)
				? sqlException.getSQLState() : "other";
	}

	private static boolean isPoolTimeout(Throwable failure) {
		// Hikari's pool timeout, when no connection attempt failed for a reason of its own
		return failure instanceof SQLTransientConnectionException && failure.getCause() == null;
	}

}
