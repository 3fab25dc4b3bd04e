package io.dbbudget.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.retry.TransientFailures;
import io.dbbudget.scheduling.BackgroundScheduler;
import io.dbbudget.server.postgresql.PostgreSqlDialect;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Reads the server's activity every few seconds on a background thread and keeps the latest
 * sample, so that the endpoint, the health indicator and the metrics share one query and none
 * of them ever waits for the server. Sampling starts when the sample is first asked for, and
 * stops on {@link #close()}.
 * <p>
 * While every connection of the pool is in use, sampling is skipped rather than queued behind
 * the application: the sample grows older. An exhausted pool or a full server is load, not a
 * failure: only a server that cannot be reached or asked makes the sample fail.
 *
 * @author db-budget team
 */
public class ServerActivityMonitor implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(ServerActivityMonitor.class);

	// PostgreSQL's too many connections; MySQL's and MariaDB's too many connections, and the
	// account over max_user_connections or its own MAX_USER_CONNECTIONS
	private static final Set<String> TOO_MANY_CONNECTIONS = Set.of("53300", "1040", "1203", "1226");

	private final ConnectionSource connections;

	private final Duration interval;

	private final List<Consumer<ServerActivity>> listeners = new CopyOnWriteArrayList<>();

	private volatile ServerSample sample = ServerSample.NONE;

	private volatile @Nullable ScheduledExecutorService sampler;

	private volatile boolean closed;

	/**
	 * Create a new instance.
	 * @param connections where to get a connection for each sample
	 * @param interval how long to wait between samples
	 * @throws InvalidBudgetException if the interval is not positive
	 */
	public ServerActivityMonitor(ConnectionSource connections, Duration interval) {
		if (interval.isNegative() || interval.isZero()) {
			throw new InvalidBudgetException("db.budget.sample-interval", interval.toString(),
					"the server's activity is sampled at this interval, which must be positive",
					"Set db.budget.sample-interval to a positive duration, for example 5s.");
		}
		this.connections = connections;
		this.interval = interval;
	}

	/**
	 * The latest sample, at most about one interval old unless the pool is exhausted. Never
	 * waits for the server.
	 * @return the sample
	 */
	public ServerSample getSample() {
		if (this.sampler == null) {
			start();
		}
		return this.sample;
	}

	/**
	 * Starts sampling, if it has not started yet.
	 */
	public synchronized void start() {
		if (this.sampler == null && !this.closed) {
			ScheduledExecutorService sampler = BackgroundScheduler.create("db-budget-server-sample");
			sampler.scheduleWithFixedDelay(BackgroundScheduler.guarded("sampling the server", this::sample), 0, this.interval.toMillis(), TimeUnit.MILLISECONDS);
			this.sampler = sampler;
		}
	}

	/**
	 * Samples again now, in the background, for example after sessions were closed.
	 */
	public synchronized void refresh() {
		start();
		ScheduledExecutorService sampler = this.sampler;
		if (sampler != null) {
			try {
				sampler.execute(this::sample);
			}
			catch (RejectedExecutionException ex) {
				// Closing: no more samples are wanted
			}
		}
	}

	/**
	 * Calls the listener with every activity read from now on, on the sampling thread.
	 * @param listener the listener
	 */
	public void addListener(Consumer<ServerActivity> listener) {
		this.listeners.add(listener);
	}

	// Runs on the sampling thread only. It catches everything: a scheduled task that throws is
	// never run again.
	void sample() {
		ServerActivity activity;
		try {
			activity = read();
		}
		catch (SQLException | RuntimeException ex) {
			// On close the sampling thread is interrupted, which fails the sample for nothing
			if (!isLoad(ex) && !this.closed) {
				failed(ex);
			}
			return;
		}
		if (activity == null) {
			return;
		}
		if (this.sample.failed()) {
			logger.info("db-budget: the server answers again");
		}
		this.sample = new ServerSample(activity, null, null);
		for (Consumer<ServerActivity> listener : this.listeners) {
			try {
				listener.accept(activity);
			}
			catch (RuntimeException ex) {
				logger.warn("db-budget: a server activity listener failed", ex);
			}
		}
	}

	// A pool timeout of its own (every connection stayed in use) or a server that is full: the
	// server answers, it is busy
	private static boolean isLoad(Exception ex) {
		String reason = TransientFailures.tag(ex);
		return TransientFailures.POOL_TIMEOUT.equals(reason) || TOO_MANY_CONNECTIONS.contains(reason);
	}

	private @Nullable ServerActivity read() throws SQLException {
		for (int attempt = 1;; attempt++) {
			Connection connection = this.connections.borrow();
			if (connection == null) {
				return null;
			}
			try (connection) {
				ServerDialect dialect = ServerDialect.of(connection);
				return ((dialect != null) ? dialect : PostgreSqlDialect.INSTANCE).readActivity(connection);
			}
			catch (SQLException ex) {
				// A pooled session that the server has ended since (a restart, a terminated
				// backend) fails once and the pool drops it: ask again on another before calling
				// the server unreachable
				if (attempt == 2) {
					throw ex;
				}
			}
		}
	}

	private void failed(Exception ex) {
		String failure = describe(ex);
		if (!this.sample.failed()) {
			logger.warn("db-budget: could not read the server's activity: " + failure);
		}
		this.sample = this.sample.failedWith(failure);
	}

	// Hikari's timeout says only that no connection came; the driver's error, its cause, says why
	private static String describe(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return (root != ex) ? ex.getMessage() + ": " + root.getMessage() : String.valueOf(ex.getMessage());
	}

	@Override
	public synchronized void close() {
		this.closed = true;
		ScheduledExecutorService sampler = this.sampler;
		if (sampler != null) {
			sampler.shutdownNow();
		}
	}

}
