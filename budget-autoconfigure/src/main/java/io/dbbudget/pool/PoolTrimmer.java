package io.dbbudget.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.dbbudget.scheduling.BackgroundScheduler;

/**
 * Closes exactly the connections a pool holds above its maximum, on a thread of its own and
 * under no lock: idle ones now, busy ones as they are returned. Lowering Hikari's maximum
 * closes nothing by itself, and soft eviction would close the whole pool.
 * <p>
 * A connection is taken out of the pool the way a caller takes one, and evicted while held,
 * which closes it and opens none (the pool is above its maximum, so Hikari adds nothing for
 * the waiting trimmer). Under load no connection is ever idle: the trimmer then waits in line
 * with the callers, up to the pool's connection timeout, and takes returned connections one at
 * a time.
 *
 * @author db-budget team
 */
final class PoolTrimmer implements AutoCloseable {

	private static final long BORROW_TIMEOUT_MILLIS = 50;

	private static final long RETRY_DELAY_MILLIS = 200;

	private final ScheduledExecutorService executor = BackgroundScheduler.create("db-budget-trim");

	private final Set<HikariDataSource> scheduled = ConcurrentHashMap.newKeySet();

	/**
	 * Closes what the pool holds above its maximum, now and as its connections are returned.
	 * @param dataSource the pool, already lowered
	 */
	void trim(HikariDataSource dataSource) {
		if (this.scheduled.add(dataSource)) {
			this.executor.execute(BackgroundScheduler.guarded("trimming a pool", () -> trimNow(dataSource)));
		}
	}

	private void trimNow(HikariDataSource dataSource) {
		this.scheduled.remove(dataSource);
		HikariPoolMXBean poolBean = dataSource.getHikariPoolMXBean();
		if (!(poolBean instanceof HikariPool pool) || dataSource.isClosed()) {
			return;
		}
		int excess = poolBean.getTotalConnections() - dataSource.getMaximumPoolSize();
		while (excess > 0 && !dataSource.isClosed()) {
			// An idle connection is taken at once; under load the trimmer waits in line with
			// the callers, and Hikari hands returned connections to waiters in turn
			long wait = (poolBean.getIdleConnections() > 0) ? BORROW_TIMEOUT_MILLIS : dataSource.getConnectionTimeout();
			Connection connection;
			try {
				connection = pool.getConnection(wait);
			}
			catch (SQLException ex) {
				if (!this.executor.isShutdown() && this.scheduled.add(dataSource)) {
					this.executor.schedule(BackgroundScheduler.guarded("trimming a pool", () -> trimNow(dataSource)),
							RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
				}
				return;
			}
			if (poolBean.getTotalConnections() > dataSource.getMaximumPoolSize()) {
				dataSource.evictConnection(connection);
			}
			else {
				// The pool grew again while the trimmer waited: this one stays
				closeQuietly(connection);
			}
			excess = poolBean.getTotalConnections() - dataSource.getMaximumPoolSize();
		}
	}

	private static void closeQuietly(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException ex) {
			// Returning a connection to Hikari fails only if the pool is closing
		}
	}

	/**
	 * Closes up to {@code count} idle connections of a pool now, leaving busy ones alone.
	 * @param dataSource the pool
	 * @param count the most to close
	 * @return how many were closed
	 */
	static int closeIdle(HikariDataSource dataSource, int count) {
		HikariPoolMXBean poolBean = dataSource.getHikariPoolMXBean();
		if (!(poolBean instanceof HikariPool pool)) {
			return 0;
		}
		int closed = 0;
		while (closed < count && !dataSource.isClosed() && poolBean.getIdleConnections() > 0) {
			Connection connection;
			try {
				connection = pool.getConnection(BORROW_TIMEOUT_MILLIS);
			}
			catch (SQLException ex) {
				// A caller took the last idle one first
				break;
			}
			dataSource.evictConnection(connection);
			closed++;
		}
		return closed;
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
