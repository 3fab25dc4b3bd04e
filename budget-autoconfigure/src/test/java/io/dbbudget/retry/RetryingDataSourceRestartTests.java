package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.SQLException;
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
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link RetryingDataSource} on a private PostgreSQL server that is restarted under
 * load, and that asks the application's role for its password.
 */
class RetryingDataSourceRestartTests {

	private static final String ROLE = "restart_app";

	private static final int THREADS = 10;

	private static PrivateServer server;

	private final RecordingListener listener = new RecordingListener();

	private HikariDataSource pool;

	@BeforeAll
	static void startServer() throws SQLException {
		server = PrivateServer.builder().start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'secret'");
		}
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

	@Test
	void restartUnderLoadFailsOnlyWhileTheServerIsDown() throws Exception {
		RetryingDataSource dataSource = retrying("secret");
		long loadEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
		AtomicLong serverBackAt = new AtomicLong(Long.MAX_VALUE);
		ConcurrentLinkedQueue<Long> failureStarts = new ConcurrentLinkedQueue<>();
		AtomicLong successesAfterRestart = new AtomicLong();
		ExecutorService load = Executors.newFixedThreadPool(THREADS);
		List<Future<?>> workers = new ArrayList<>();
		for (int i = 0; i < THREADS; i++) {
			workers.add(load.submit(() -> {
				while (System.nanoTime() < loadEnds) {
					long start = System.nanoTime();
					try (Connection connection = dataSource.getConnection();
							Statement statement = connection.createStatement()) {
						statement.execute("SELECT pg_sleep(0.005)");
						if (start > serverBackAt.get()) {
							successesAfterRestart.incrementAndGet();
						}
					}
					catch (SQLException ex) {
						failureStarts.add(start);
					}
				}
			}));
		}
		Thread.sleep(1500);
		server.stop();
		Thread.sleep(2000);
		server.start();
		serverBackAt.set(System.nanoTime());
		for (Future<?> worker : workers) {
			worker.get(2, TimeUnit.MINUTES);
		}
		load.shutdown();
		long failuresAfterRestart = failureStarts.stream().filter((start) -> start > serverBackAt.get()).count();
		System.out.printf("restart under load: %d threads, %d failures while the server was down, %d after, "
				+ "%d acquisitions retried, %d successes after the restart%n", THREADS, failureStarts.size(),
				failuresAfterRestart, this.listener.retries.size(), successesAfterRestart.get());
		assertThat(failuresAfterRestart).isZero();
		assertThat(failureStarts).hasSizeLessThanOrEqualTo(2 * THREADS);
		assertThat(successesAfterRestart.get()).isPositive();
		assertThat(this.listener.retries).isNotEmpty();
		assertThat(this.pool.getHikariPoolMXBean().getActiveConnections()).isZero();
	}

	@Test
	void wrongPasswordFailsOnTheFirstAttempt() {
		RetryingDataSource dataSource = retrying("not-the-password");
		assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection)
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("28P01"));
		assertThat(this.listener.retries).isEmpty();
		assertThat(this.listener.failures).containsExactly("28P01");
	}

	private RetryingDataSource retrying(String password) {
		this.pool = new HikariDataSource();
		this.pool.setJdbcUrl(server.jdbcUrl("postgres"));
		this.pool.setUsername(ROLE);
		this.pool.setPassword(password);
		this.pool.setMaximumPoolSize(5);
		this.pool.setConnectionTimeout(2000);
		RetrySettings settings = new RetrySettings(8, Duration.ofMillis(200), 2.0, Duration.ofSeconds(2), true);
		return new RetryingDataSource(this.pool, "restart", settings, Duration.ofMillis(2000), this.listener);
	}

}
