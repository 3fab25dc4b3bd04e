package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p>
 * The gate holds its lock only while the pool starts, never while a started pool makes a
 * caller wait for a connection, and a caller waits for the lock no longer than its own
 * deadline. A shared failure keeps the type, SQLSTATE and cause of the original, so that it
 * is retried exactly as the original would be. The lock is a {@link ReentrantLock}, so that a
 * virtual thread waiting for it does not pin its carrier.
 *
 * @author db-budget team
 */
final class PoolStartGate {

	// SQLSTATE 08001, sqlclient unable to establish sqlconnection
	private static final String NOT_STARTED_YET = "08001";

	private final HikariDataSource pool;

	private final ReentrantLock lock = new ReentrantLock();

	private volatile long attempts;

	private volatile @Nullable SQLException lastFailure;

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

	/**
	 * Returns once the pool has started, starting it if no other caller is doing so.
	 * @param startNanos when the caller asked for a connection, from {@link System#nanoTime()}
	 * @throws SQLException why the start failed, the caller's own attempt or the one it waited
	 * for; a transient 'cannot connect yet' (08001) if the caller's time ran out while another
	 * caller was starting the pool; or an interrupt
	 */
	void awaitStart(long startNanos) throws SQLException {
		long seen = this.attempts;
		long timeout = TimeUnit.MILLISECONDS.toNanos(this.pool.getConnectionTimeout());
		try {
			if (!this.lock.tryLock(timeout - (System.nanoTime() - startNanos), TimeUnit.NANOSECONDS)) {
				// Out of time while another caller starts the pool: the last start's failure if
				// there was one, else 'cannot connect yet'
				SQLException failure = this.lastFailure;
				if (failure != null) {
					throw shared(failure);
				}
				// The pool is not up yet: like a server that cannot be reached yet, worth
				// waiting for, unlike a started pool whose every connection stays in use
				throw new SQLTransientConnectionException(this.pool.getPoolName()
						+ " - Connection is not available, request timed out after "
						+ TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos)
						+ "ms while another caller was starting the pool", NOT_STARTED_YET);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new SQLException(this.pool.getPoolName() + " - Interrupted during connection acquisition", ex);
		}
		try {
			if (isOpen()) {
				return;
			}
			SQLException failure = this.lastFailure;
			if (this.attempts != seen && failure != null) {
				throw shared(failure);
			}
			this.attempts++;
			// Starting the pool is Hikari's first getConnection(): the connection goes back at
			// once, and the caller takes one as every other caller does
			try (Connection connection = this.pool.getConnection()) {
				this.lastFailure = null;
			}
			catch (SQLException ex) {
				this.lastFailure = ex;
				throw ex;
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	private static SQLException shared(SQLException failure) {
		String message = failure.getMessage() + " (the failure of the pool start this caller waited for)";
		SQLException copy = (failure instanceof SQLTransientConnectionException)
				? new SQLTransientConnectionException(message, failure.getSQLState(), failure.getErrorCode(),
						failure.getCause())
				: new SQLException(message, failure.getSQLState(), failure.getErrorCode(), failure.getCause());
		copy.setNextException(failure.getNextException());
		return copy;
	}

}
