package io.dbbudget.pool;

import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import io.dbbudget.server.EndedSessionStates;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Sees every error of a pool's connections and, when one says that the server ended
 * sessions, has the pool's idle connections validated before they are handed out: the
 * server may have ended them too, and Hikari would hand one out unchecked if it was used
 * within the last 500 ms. It is a hint, not an order: only dead connections are closed, so
 * the termination of a single session costs the pool that session alone.
 * <p>
 * Whether the failing connection itself is evicted stays Hikari's decision, or the decision
 * of the override the application configured, which this one wraps.
 *
 * @author db-budget team
 */
final class EndedSessionOverride implements SQLExceptionOverride {

	private static final Log logger = LogFactory.getLog(EndedSessionOverride.class);

	// One log line per burst of failures, however many connections fail in it
	private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

	private final String poolName;

	private final HikariDataSource dataSource;

	private final EndedSessionStates states;

	private final @Nullable SQLExceptionOverride applicationOverride;

	private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

	private EndedSessionOverride(String poolName, HikariDataSource dataSource, EndedSessionStates states,
			@Nullable SQLExceptionOverride applicationOverride) {
		this.poolName = poolName;
		this.dataSource = dataSource;
		this.states = states;
		this.applicationOverride = applicationOverride;
	}

	/**
	 * Watches a pool's connection errors, before the pool starts.
	 * @param poolName the pool's bean name
	 * @param dataSource the pool, not yet started
	 * @param states the errors that mean the server ended sessions
	 */
	static void watch(String poolName, HikariDataSource dataSource, EndedSessionStates states) {
		if (IdleRevalidation.hikari().isSupported()
				&& !(dataSource.getExceptionOverride() instanceof EndedSessionOverride)) {
			dataSource.setExceptionOverride(
					new EndedSessionOverride(poolName, dataSource, states, dataSource.getExceptionOverride()));
		}
	}

	@java.lang.Override
	public Override adjudicate(SQLException failure) {
		String state = this.states.match(failure);
		if (state != null) {
			int idle = IdleRevalidation.hikari().revalidate(this.dataSource);
			long last = this.lastLogged.get();
			long now = System.nanoTime();
			if (now - last >= LOG_INTERVAL_NANOS && this.lastLogged.compareAndSet(last, now)) {
				logger.info("db-budget: a connection of pool '" + this.poolName + "' failed with " + state
						+ " (the server ended sessions): its idle connections (" + idle
						+ " now) are validated before they are handed out");
			}
		}
		return (this.applicationOverride != null) ? this.applicationOverride.adjudicate(failure)
				: Override.CONTINUE_EVICT;
	}

}
