package io.dbbudget.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.retry.TransientFailures;
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
 * the application: the sample grows older, and an exhausted pool is load, not a failure.
 *
 * @author db-budget team
 */
public class ServerActivityMonitor implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(ServerActivityMonitor.class);

	private final ConnectionSource connections;

	private final Duration interval;

	private final List<Consumer<ServerActivity>> listeners = new CopyOnWriteArrayList<>();

	private volatile ServerSample sample = ServerSample.NONE;

	private @Nullable ScheduledExecutorService sampler;

	private boolean closed;

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
		start();
		return this.sample;
	}

	/**
	 * Starts sampling, if it has not started yet.
	 */
	public synchronized void start() {
		if (this.sampler == null && !this.closed) {
			ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor((task) -> {
				Thread thread = new Thread(task, "db-budget-server-sample");
				thread.setDaemon(true);
				return thread;
			});
			sampler.scheduleWithFixedDelay(this::sample, 0, this.interval.toMillis(), TimeUnit.MILLISECONDS);
			this.sampler = sampler;
		}
	}

	/**
	 * Samples again now, in the background, for example after sessions were closed.
	 */
	public synchronized void refresh() {
		start();
		if (this.sampler != null) {
			try {
				this.sampler.execute(this::sample);
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
			// A pool timeout with no failure of its own: every connection stayed in use, which is
			// load, not a fault of the server
			if (!TransientFailures.POOL_TIMEOUT.equals(TransientFailures.reason(ex))) {
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

	private @Nullable ServerActivity read() throws SQLException {
		Connection connection = this.connections.borrow();
		if (connection == null) {
			return null;
		}
		try (connection) {
			return ServerActivityReader.read(connection);
		}
	}

	private void failed(Exception ex) {
		if (!this.sample.failed()) {
			logger.warn("db-budget: could not read the server's activity: " + ex.getMessage());
		}
		this.sample = this.sample.failedWith(String.valueOf(ex.getMessage()));
	}

	@Override
	public synchronized void close() {
		this.closed = true;
		if (this.sampler != null) {
			this.sampler.shutdownNow();
		}
	}

}
