package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for how {@link RetryingDataSource} treats Hikari's pool timeout, on a private
 * PostgreSQL server that can be stopped and started: a timeout while the pool cannot open
 * connections (the server is away) is retried, a timeout while every connection of a full pool
 * stays in use (overload) is not.
 */
class PoolTimeoutRetryTests {

	private static final String ROLE = "pool_timeout_app";

	private static final String DATABASE = "pool_timeout";

	// The starter's defaults: 5 attempts, 500 ms x 2 up to 30 s, with jitter
	private static final RetrySettings DEFAULTS = new RetrySettings(5, Duration.ofMillis(500), 2.0,
			Duration.ofSeconds(30), true);

	// Enough to outlast the outage below, with its back-offs bounded to 2 s: about 18 s in all
	private static final RetrySettings THROUGH_THE_OUTAGE = new RetrySettings(8, Duration.ofMillis(200), 2.0,
			Duration.ofSeconds(2), true);

	private static PrivateServer server;

	private final RecordingListener listener = new RecordingListener();

	private HikariDataSource pool;

	@BeforeAll
	static void startServer() throws SQLException {
		server = PrivateServer.builder().start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE DATABASE " + DATABASE + " OWNER " + ROLE);
		}
		try (Connection connection = DriverManager.getConnection(server.jdbcUrl(DATABASE), ROLE, "secret");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())");
		}
		// Logins that cost what they cost in production (scram-sha-256), so that a pool refills
		// at a production pace after the restart
		server.requirePassword(ROLE);
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@AfterEach
	void closePool() {
		if (this.pool != null) {
			this.pool.close();
		}
	}

	/**
	 * The shape of the outage in issue 27: a pool as large as its callers, half reading and
	 * half writing, and the server away for longer than the connection timeout. Callers that
	 * were using a connection when the server went down fail (their sessions are gone), but no
	 * caller that asked for a connection during the outage fails: the pool times out because
	 * it cannot open connections, and the retry outlasts the outage.
	 */
	@Test
	void outageLongerThanTheConnectionTimeoutFailsNoAcquisition() throws Exception {
		int poolSize = 20;
		Duration connectionTimeout = Duration.ofMillis(1000);
		// Each caller holds its connection 200 ms, so the callers need the whole pool. Hikari
		// opens connections one at a time: at 150 ms a login (what TLS and a password cost over
		// a network), a pool of 20 takes about 4 s to refill after the restart, so callers time
		// out while it refills, below its maximum, with no connection failure to carry (Hikari
		// forgets the last failure when a connection opens)
		RetryingDataSource dataSource = retrying(poolSize, connectionTimeout, THROUGH_THE_OUTAGE,
				"SELECT pg_sleep(0.15)");
		dataSource.getConnection().close();
		await().atMost(Duration.ofSeconds(30))
			.until(() -> this.pool.getHikariPoolMXBean().getTotalConnections() == poolSize);
		AtomicLong serverBackAt = new AtomicLong(Long.MAX_VALUE);
		AtomicLong acquiredAfterRestart = new AtomicLong();
		AtomicLong longestAcquisition = new AtomicLong();
		ConcurrentLinkedQueue<SQLException> acquisitionFailures = new ConcurrentLinkedQueue<>();
		ConcurrentLinkedQueue<SQLException> useFailures = new ConcurrentLinkedQueue<>();
		long loadEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		ExecutorService load = Executors.newFixedThreadPool(poolSize);
		List<Future<?>> workers = new ArrayList<>();
		for (int i = 0; i < poolSize; i++) {
			boolean writer = (i % 2 == 0);
			workers.add(load.submit(() -> {
				while (System.nanoTime() < loadEnds) {
					Connection connection;
					long start = System.nanoTime();
					try {
						connection = dataSource.getConnection();
					}
					catch (SQLException ex) {
						acquisitionFailures.add(ex);
						continue;
					}
					finally {
						longestAcquisition.accumulateAndGet(System.nanoTime() - start, Math::max);
					}
					if (System.nanoTime() > serverBackAt.get()) {
						acquiredAfterRestart.incrementAndGet();
					}
					try (connection) {
						work(connection, writer);
					}
					catch (SQLException ex) {
						useFailures.add(ex);
					}
					Thread.sleep(10);
				}
				return null;
			}));
		}
		load.shutdown();
		Thread.sleep(1500);
		server.stop();
		// away for more than three connection timeouts, well within the retry bound
		Thread.sleep(3500);
		server.start();
		serverBackAt.set(System.nanoTime());
		for (Future<?> worker : workers) {
			worker.get(1, TimeUnit.MINUTES);
		}
		System.out.printf("outage: %d acquisitions failed, %d uses failed, %d acquisitions retried %s, "
				+ "%d acquisitions after the restart, longest %d ms (bound %d ms)%n", acquisitionFailures.size(),
				useFailures.size(), this.listener.retries.size(), this.listener.retries.stream().distinct().toList(),
				acquiredAfterRestart.get(), TimeUnit.NANOSECONDS.toMillis(longestAcquisition.get()),
				dataSource.getLongestWait().toMillis());
		assertThat(acquisitionFailures).extracting((ex) -> TransientFailures.tag(ex) + ": " + ex.getMessage())
			.isEmpty();
		assertThat(this.listener.failures).isEmpty();
		assertThat(this.listener.retries).isNotEmpty();
		assertThat(Duration.ofNanos(longestAcquisition.get())).isLessThanOrEqualTo(dataSource.getLongestWait());
		// only the callers that held a connection when the server went down
		assertThat(useFailures).hasSizeLessThanOrEqualTo(poolSize);
		assertThat(acquiredAfterRestart.get()).isPositive();
	}

	/**
	 * Overload, not an outage: every connection of a full pool is held for longer than the
	 * connection timeout. The caller gets Hikari's pool timeout after one connection timeout,
	 * not after the retries' bound, counted as {@code pool-timeout} and not retried.
	 */
	@Test
	void poolTimeoutWhileEveryConnectionOfAFullPoolIsHeldIsNotRetried() throws Exception {
		Duration connectionTimeout = Duration.ofMillis(500);
		RetryingDataSource dataSource = retrying(2, connectionTimeout, DEFAULTS, null);
		List<Connection> held = new ArrayList<>();
		try {
			held.add(dataSource.getConnection());
			held.add(dataSource.getConnection());
			assertThat(this.pool.getHikariPoolMXBean().getTotalConnections()).isEqualTo(2);
			long start = System.nanoTime();
			assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(dataSource::getConnection)
				.satisfies((ex) -> assertThat(TransientFailures.tag(ex)).isEqualTo(TransientFailures.POOL_TIMEOUT));
			// one connection timeout, not five plus back-offs
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(connectionTimeout.multipliedBy(2));
		}
		finally {
			for (Connection connection : held) {
				connection.close();
			}
		}
		assertThat(this.listener.retries).isEmpty();
		assertThat(this.listener.failures).containsExactly(TransientFailures.POOL_TIMEOUT);
	}

	private static void work(Connection connection, boolean writer) throws SQLException {
		if (writer) {
			connection.setAutoCommit(false);
			try (PreparedStatement insert = connection.prepareStatement("INSERT INTO events DEFAULT VALUES");
					Statement statement = connection.createStatement()) {
				insert.executeUpdate();
				statement.execute("SELECT pg_sleep(0.2)");
			}
			connection.commit();
		}
		else {
			try (Statement statement = connection.createStatement()) {
				statement.execute("SELECT count(*) FROM pg_stat_activity, pg_sleep(0.2)");
			}
		}
	}

	private RetryingDataSource retrying(int poolSize, Duration connectionTimeout, RetrySettings settings,
			String connectionInitSql) {
		this.pool = new HikariDataSource();
		this.pool.setJdbcUrl(server.jdbcUrl(DATABASE));
		this.pool.setUsername(ROLE);
		this.pool.setPassword("secret");
		this.pool.setMaximumPoolSize(poolSize);
		this.pool.setConnectionTimeout(connectionTimeout.toMillis());
		this.pool.setConnectionInitSql(connectionInitSql);
		// with the admission gate, as the starter sets it up by default
		return new RetryingDataSource(this.pool, "outage", settings, connectionTimeout, this.listener,
				new AdmissionGate(this.pool));
	}

}
