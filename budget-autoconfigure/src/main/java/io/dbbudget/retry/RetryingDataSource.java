package io.dbbudget.retry;

import java.io.Closeable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.dbbudget.gate.AdmissionGate;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryListener;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryState;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.core.retry.Retryable;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * A DataSource that retries {@code getConnection()} with back-off while the failure is
 * transient: the server is full, restarting or briefly unreachable, or the pool timed out
 * because it could not open connections. A pool timeout while every connection of a full pool
 * is in use is overload, and is not retried. With an {@link AdmissionGate}, callers beyond the
 * pool's size wait at the gate, parked, instead of inside the pool. The first attempt is the
 * plain pool call, through the gate when there is one; nothing is allocated for retry unless
 * it fails.
 * {@link #unwrap(Class)} reaches the pool, so Spring Boot's pool metrics and health still find
 * it.
 *
 * @author db-budget team
 */
public class RetryingDataSource extends DelegatingDataSource implements Closeable {

	private static final Log logger = LogFactory.getLog(RetryingDataSource.class);

	private final DataSource pool;

	private final String poolName;

	private final @Nullable RetryTemplate retryTemplate;

	private final AcquisitionListener listener;

	private final Duration longestWait;

	private final int maxAttempts;

	private final AtomicBoolean retrying = new AtomicBoolean();

	private final @Nullable AdmissionGate admissionGate;

	private volatile @Nullable PoolStartGate startGate;

	/**
	 * Create a new instance that retries and has no admission gate.
	 * @param pool the pool
	 * @param poolName the pool's bean name
	 * @param settings how to retry
	 * @param connectionTimeout how long one attempt may wait for the pool
	 * @param listener told about retries and failures
	 */
	public RetryingDataSource(DataSource pool, String poolName, RetrySettings settings, Duration connectionTimeout,
			AcquisitionListener listener) {
		this(pool, poolName, settings, connectionTimeout, listener, null);
	}

	/**
	 * Create a new instance.
	 * @param pool the pool
	 * @param poolName the pool's bean name
	 * @param settings how to retry, or {@code null} to pass failures on at once
	 * @param connectionTimeout how long one attempt may wait for the pool
	 * @param listener told about retries and failures
	 * @param admissionGate the gate that callers pass before the pool, or {@code null}
	 */
	public RetryingDataSource(DataSource pool, String poolName, @Nullable RetrySettings settings,
			Duration connectionTimeout, AcquisitionListener listener, @Nullable AdmissionGate admissionGate) {
		super(pool);
		this.pool = pool;
		this.poolName = poolName;
		this.listener = listener;
		this.admissionGate = admissionGate;
		this.maxAttempts = (settings != null) ? settings.maxAttempts() : 1;
		this.longestWait = (settings != null) ? settings.longestWait(connectionTimeout) : connectionTimeout;
		this.retryTemplate = (settings != null) ? new RetryTemplate(settings.retryPolicy(this::isTransient)) : null;
		if (this.retryTemplate != null) {
			this.retryTemplate.setRetryListener(new CountingListener());
		}
		if (pool instanceof HikariDataSource hikari && hikari.getHikariPoolMXBean() == null) {
			this.startGate = new PoolStartGate(hikari);
		}
	}

	@Override
	public Connection getConnection() throws SQLException {
		try {
			return acquire();
		}
		catch (SQLException ex) {
			return retry(ex, null, null);
		}
	}

	// Kept small so that callers inline it as they would the pool's own call: the start of
	// the pool and every wait are out of line
	private Connection acquire() throws SQLException {
		if (this.startGate != null) {
			return acquireWhileStarting();
		}
		AdmissionGate gate = this.admissionGate;
		return (gate != null) ? gate.getConnection() : this.pool.getConnection();
	}

	private Connection acquireWhileStarting() throws SQLException {
		PoolStartGate gate = this.startGate;
		long startNanos = System.nanoTime();
		if (gate != null) {
			gate.awaitStart(startNanos);
			if (gate.isOpen()) {
				this.startGate = null;
			}
		}
		// The wait for the start counts against the caller's timeout
		AdmissionGate admission = this.admissionGate;
		return (admission != null) ? admission.getConnection(startNanos) : this.pool.getConnection();
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		try {
			return this.pool.getConnection(username, password);
		}
		catch (SQLException ex) {
			return retry(ex, username, password);
		}
	}

	/**
	 * The longest a caller can wait in {@code getConnection()}, retries included.
	 * @return the bound
	 */
	public Duration getLongestWait() {
		return this.longestWait;
	}

	/**
	 * Closes the pool, so that the application context shuts it down as it would the pool
	 * itself.
	 * @throws IOException if the pool fails to close
	 */
	@Override
	public void close() throws IOException {
		if (this.pool instanceof Closeable closeable) {
			closeable.close();
		}
	}

	private Connection retry(SQLException firstFailure, @Nullable String username, @Nullable String password)
			throws SQLException {
		String reason = reason(firstFailure);
		RetryTemplate retryTemplate = this.retryTemplate;
		if (reason == null || retryTemplate == null || Thread.currentThread().isInterrupted()) {
			this.listener.onFailure(this.poolName, TransientFailures.tag(firstFailure));
			throw firstFailure;
		}
		if (this.retrying.compareAndSet(false, true)) {
			logger.warn("db-budget: pool '" + this.poolName + "' could not get a connection (" + describe(reason)
					+ "); retrying with back-off, up to " + this.maxAttempts + " attempts and " + this.longestWait
						.toMillis() + " ms in all");
		}
		long start = System.nanoTime();
		try {
			Connection connection = retryTemplate.execute(new Acquisition(firstFailure, username, password));
			if (this.retrying.compareAndSet(true, false)) {
				logger.info("db-budget: pool '" + this.poolName + "' gets connections again");
			}
			return connection;
		}
		catch (RetryException ex) {
			SQLException last = (ex.getCause() instanceof SQLException sqlException) ? sqlException : firstFailure;
			int attempts = ex.getRetryCount() + 1;
			long waitedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
			String outcome = Thread.currentThread().isInterrupted() ? "interrupted" : "gave up";
			last.addSuppressed(new SQLException("db-budget: pool '" + this.poolName + "' " + outcome + " after "
					+ attempts + " attempts and " + waitedMillis + " ms of retries", last.getSQLState()));
			this.listener.onFailure(this.poolName, TransientFailures.tag(last));
			throw last;
		}
	}

	/**
	 * Why a failure is worth retrying: what {@link TransientFailures} deems transient, and a
	 * pool timeout that carries no connection failure while the pool holds fewer connections
	 * than its maximum.
	 * @param failure what the pool threw
	 * @return the reason, or {@code null} to pass the failure on
	 */
	private @Nullable String reason(Throwable failure) {
		String reason = TransientFailures.reason(failure);
		if (reason == null && TransientFailures.isPoolTimeout(failure) && isBelowMaximum()) {
			return TransientFailures.POOL_TIMEOUT;
		}
		return reason;
	}

	private boolean isTransient(Throwable failure) {
		return reason(failure) != null;
	}

	// Read just after the timeout. A pool below its maximum that had no connection to give
	// could not open one in time: the server is away, or the pool is still refilling after it
	// came back (Hikari opens connections one at a time, and forgets the last failure as soon
	// as one opens), and waiting helps. A full pool whose every connection stayed in use is
	// overload: a retry adds no connection and holds the caller longer.
	private boolean isBelowMaximum() {
		if (this.pool instanceof HikariDataSource hikari && !hikari.isClosed()) {
			HikariPoolMXBean state = hikari.getHikariPoolMXBean();
			return state != null && state.getTotalConnections() < hikari.getMaximumPoolSize();
		}
		return false;
	}

	private static String describe(String reason) {
		return switch (reason) {
			case TransientFailures.POOL_TIMEOUT -> "pool timeout, the pool cannot open connections";
			case "53300" -> "53300 too many clients";
			case "57P01", "57P02", "57P03" -> reason + " server shutting down or starting";
			case "08001", "08006" -> reason + " cannot connect";
			default -> reason;
		};
	}

	/**
	 * One connection acquisition under retry: its first execution reports the failure that the
	 * plain call already had, so that the template backs off before the second attempt.
	 */
	private final class Acquisition implements Retryable<Connection> {

		private @Nullable SQLException firstFailure;

		private final @Nullable String username;

		private final @Nullable String password;

		Acquisition(SQLException firstFailure, @Nullable String username, @Nullable String password) {
			this.firstFailure = firstFailure;
			this.username = username;
			this.password = password;
		}

		@Override
		public Connection execute() throws SQLException {
			SQLException failure = this.firstFailure;
			if (failure != null) {
				this.firstFailure = null;
				throw failure;
			}
			return (this.username != null) ? RetryingDataSource.this.pool.getConnection(this.username, this.password)
					: acquire();
		}

		@Override
		public String getName() {
			return "db-budget getConnection (" + RetryingDataSource.this.poolName + ")";
		}

	}

	private final class CountingListener implements RetryListener {

		@Override
		public void beforeRetry(RetryPolicy retryPolicy, Retryable<?> retryable, RetryState retryState) {
			RetryingDataSource.this.listener.onRetry(RetryingDataSource.this.poolName,
					TransientFailures.tag(retryState.getLastException()));
		}

	}

}
