package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.SQLException;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;

/**
 * Lets one caller at a time start a Hikari pool, and gives the callers that waited meanwhile
 * the outcome of that attempt instead of a new one each.
 * <p>
 * Hikari starts its pool inside a lock on the first {@code getConnection()}, and a failed
 * start sleeps a second in that lock: with the server down at start-up, N callers would
 * queue for N seconds per attempt, however short their own timeouts. Sharing the failure
 * keeps every caller's attempt short, so the retry bound holds.
 *
 * @author db-budget team
 */
final class PoolStartGate {

	private final HikariDataSource pool;

	private final Object lock = new Object();

	private volatile long attempts;

	private @Nullable SQLException lastFailure;

	PoolStartGate(HikariDataSource pool) {
		this.pool = pool;
	}

	/**
	 * Whether the pool has started (or been closed), so that callers may go straight to it.
	 * @return whether the gate is no longer needed
	 */
	boolean isOpen() {
		return this.pool.getHikariPoolMXBean() != null || this.pool.isClosed();
	}

	Connection getConnection() throws SQLException {
		long seen = this.attempts;
		synchronized (this.lock) {
			SQLException failure = this.lastFailure;
			if (this.attempts != seen && failure != null) {
				throw new SQLException(failure.getMessage(), failure.getSQLState(), failure);
			}
			this.attempts++;
			try {
				Connection connection = this.pool.getConnection();
				this.lastFailure = null;
				return connection;
			}
			catch (SQLException ex) {
				this.lastFailure = ex;
				throw ex;
			}
		}
	}

}
