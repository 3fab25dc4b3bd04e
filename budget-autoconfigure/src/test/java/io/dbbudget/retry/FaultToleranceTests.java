package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
import static org.awaitility.Awaitility.await;

/**
 * Faults under load on a private PostgreSQL server: restarts, terminated sessions and a
 * server full of another application's connections. Nothing committed is lost, failures are
 * confined to the fault, and nothing hangs or leaks.
 */
class FaultToleranceTests {

	private static final String APP = "fault_app";

	private static final String OTHER = "other_app";

	private static final int MAX_CONNECTIONS = 20;

	// Non-superusers get max_connections less the 3 slots reserved for superusers
	private static final int USABLE = MAX_CONNECTIONS - 3;

	private static PrivateServer server;

	private final RecordingListener listener = new RecordingListener();

	private final List<HikariDataSource> pools = new ArrayList<>();

	private final List<AdmissionGate> gates = new ArrayList<>();

	@BeforeAll
	static void startServer() throws SQLException {
		// Durable commits, as in production: the restart test checks that none is lost
		server = PrivateServer.builder()
			.maxConnections(MAX_CONNECTIONS)
			.setting("fsync", "on")
			.setting("synchronous_commit", "on")
			.start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + APP + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE ROLE " + OTHER + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE DATABASE faults OWNER " + APP);
		}
		try (Connection connection = DriverManager.getConnection(server.jdbcUrl("faults"), APP, "secret");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE orders (id uuid PRIMARY KEY, created timestamptz DEFAULT now())");
		}
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@AfterEach
	void closePools() {
		this.pools.forEach(HikariDataSource::close);
	}

	@Test
	void restartDuringAWriteLoadLosesNoCommittedWriteAndFailsOnlyWhileDown() throws Exception {
		RetryingDataSource dataSource = retrying(5, Duration.ofSeconds(2));
		Set<UUID> committed = java.util.concurrent.ConcurrentHashMap.newKeySet();
		ConcurrentLinkedQueue<Long> failureStarts = new ConcurrentLinkedQueue<>();
		AtomicLong serverBackAt = new AtomicLong(Long.MAX_VALUE);
		List<Future<?>> workers = load(10, Duration.ofSeconds(7), () -> {
			UUID id = UUID.randomUUID();
			long start = System.nanoTime();
			try (Connection connection = dataSource.getConnection()) {
				connection.setAutoCommit(false);
				try (PreparedStatement insert = connection.prepareStatement("INSERT INTO orders (id) VALUES (?)")) {
					insert.setObject(1, id);
					insert.executeUpdate();
				}
				connection.commit();
				committed.add(id);
			}
			catch (SQLException ex) {
				failureStarts.add(start);
			}
		});
		Thread.sleep(1500);
		server.stop();
		Thread.sleep(1500);
		server.start();
		serverBackAt.set(System.nanoTime());
		awaitAll(workers);
		Set<UUID> stored = new HashSet<>();
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT id FROM orders")) {
			while (rows.next()) {
				stored.add(rows.getObject(1, UUID.class));
			}
		}
		System.out.printf("restart during writes: %d commits verified, %d failures while down, %d after%n",
				committed.size(), failureStarts.size(),
				failureStarts.stream().filter((start) -> start > serverBackAt.get()).count());
		assertThat(committed).isNotEmpty();
		assertThat(stored).containsAll(committed);
		assertThat(failureStarts).isNotEmpty().allMatch((start) -> start < serverBackAt.get());
	}

	@Test
	void terminatingEveryPooledSessionCostsAtMostOneCallerPerConnectionAndThePoolHeals() throws Exception {
		int poolSize = 5;
		RetryingDataSource dataSource = retrying(poolSize, Duration.ofSeconds(2));
		ConcurrentLinkedQueue<Long> failureStarts = new ConcurrentLinkedQueue<>();
		AtomicLong successes = new AtomicLong();
		List<Future<?>> workers = load(10, Duration.ofSeconds(5), () -> {
			long start = System.nanoTime();
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("SELECT pg_sleep(0.002)");
				successes.incrementAndGet();
			}
			catch (SQLException ex) {
				failureStarts.add(start);
			}
		});
		Thread.sleep(1500);
		long terminatedAt = System.nanoTime();
		int terminated;
		try (Connection admin = server.openConnection("postgres");
				Statement statement = admin.createStatement();
				ResultSet result = statement.executeQuery(
						"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '" + APP + "'")) {
			result.next();
			terminated = result.getInt(1);
		}
		long successesBefore = successes.get();
		awaitAll(workers);
		System.out.printf("terminate every pooled session: %d terminated, %d callers failed%n", terminated,
				failureStarts.size());
		assertThat(terminated).isEqualTo(poolSize);
		assertThat(failureStarts).hasSizeLessThanOrEqualTo(poolSize)
			.allMatch((start) -> start < terminatedAt + TimeUnit.SECONDS.toNanos(1));
		assertThat(successes.get()).isGreaterThan(successesBefore);
		assertThat(this.pools.get(0).getHikariPoolMXBean().getActiveConnections()).isZero();
	}

	@Test
	void callersWaitWhileTheServerIsFullAndGetAClearFailureBeyondTheBoundedWait() throws Exception {
		RetryingDataSource dataSource = retrying(3, Duration.ofMillis(500));
		List<Connection> others = fillTheServer();
		CompletableFutureLoad waiting = new CompletableFutureLoad(dataSource, 5);
		Thread.sleep(2000);
		closeAll(others);
		assertThat(waiting.awaitFailures(dataSource.getLongestWait())).isEmpty();
		assertThat(this.listener.retries).isNotEmpty().contains("53300");

		this.pools.get(0).close();
		List<Connection> stillFull = fillTheServer();
		try {
			RetryingDataSource fresh = retrying(3, Duration.ofMillis(500));
			CompletableFutureLoad givingUp = new CompletableFutureLoad(fresh, 3);
			List<SQLException> failures = givingUp.awaitFailures(fresh.getLongestWait());
			assertThat(failures).hasSize(3).allSatisfy((ex) -> {
				assertThat(ex.getSQLState()).isEqualTo("53300");
				assertThat(ex.getSuppressed()).extracting(Throwable::getMessage)
					.anyMatch((message) -> message.contains("gave up after 6 attempts"));
			});
		}
		finally {
			closeAll(stillFull);
		}
	}

	@Test
	void twoHundredThreadsOnAPoolOfFiveThroughRestartsLeakNothing() throws Exception {
		RetryingDataSource dataSource = retrying(5, Duration.ofSeconds(2));
		AtomicLong successes = new AtomicLong();
		List<Future<?>> workers = load(200, Duration.ofSeconds(7), () -> {
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("SELECT 1");
				successes.incrementAndGet();
			}
			catch (SQLException ex) {
				// counted by the pool's state at the end: what matters is that nothing leaks
			}
		});
		Thread.sleep(1500);
		server.restart();
		Thread.sleep(1500);
		server.restart();
		awaitAll(workers);
		HikariDataSource pool = this.pools.get(0);
		await().atMost(Duration.ofSeconds(10)).until(() -> pool.getHikariPoolMXBean().getActiveConnections() == 0);
		assertThat(pool.getHikariPoolMXBean().getThreadsAwaitingConnection()).isZero();
		// and the admission gate has every permit back, with nobody left waiting at it
		AdmissionGate gate = this.gates.get(0);
		assertThat(gate.getWaiting()).isZero();
		assertThat(gate.getAvailable()).isEqualTo(gate.getPermits()).isEqualTo(5);
		assertThat(successes.get()).isPositive();
		try (Connection connection = dataSource.getConnection()) {
			assertThat(connection.isValid(1)).isTrue();
		}
	}

	private RetryingDataSource retrying(int poolSize, Duration connectionTimeout) {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl(server.jdbcUrl("faults"));
		pool.setUsername(APP);
		pool.setPassword("secret");
		pool.setMaximumPoolSize(poolSize);
		pool.setConnectionTimeout(connectionTimeout.toMillis());
		this.pools.add(pool);
		RetrySettings settings = new RetrySettings(6, Duration.ofMillis(200), 2.0, Duration.ofSeconds(1), true);
		// with the admission gate, as the starter sets it up by default
		AdmissionGate gate = new AdmissionGate(pool);
		this.gates.add(gate);
		return new RetryingDataSource(pool, "faults", settings, connectionTimeout, this.listener, gate);
	}

	private static List<Connection> fillTheServer() throws SQLException {
		List<Connection> connections = new ArrayList<>();
		try {
			while (true) {
				connections.add(DriverManager.getConnection(server.jdbcUrl("faults"), OTHER, "secret"));
			}
		}
		catch (SQLException ex) {
			assertThat(ex.getSQLState()).isEqualTo("53300");
		}
		assertThat(connections).hasSize(USABLE);
		return connections;
	}

	private static void closeAll(List<Connection> connections) throws SQLException {
		for (Connection connection : connections) {
			connection.close();
		}
	}

	private static List<Future<?>> load(int threads, Duration duration, SqlTask task) {
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		long end = System.nanoTime() + duration.toNanos();
		List<Future<?>> workers = new ArrayList<>();
		for (int i = 0; i < threads; i++) {
			workers.add(executor.submit(() -> {
				while (System.nanoTime() < end) {
					task.run();
				}
			}));
		}
		executor.shutdown();
		return workers;
	}

	private static void awaitAll(List<Future<?>> workers) throws Exception {
		// Bounded: a worker still running a minute after the load ended is stuck
		for (Future<?> worker : workers) {
			worker.get(1, TimeUnit.MINUTES);
		}
	}

	@FunctionalInterface
	interface SqlTask {

		void run();

	}

	/**
	 * Callers each asking for one connection at once, and what became of them.
	 */
	static final class CompletableFutureLoad {

		private final List<Future<SQLException>> callers = new ArrayList<>();

		CompletableFutureLoad(RetryingDataSource dataSource, int callers) {
			ExecutorService executor = Executors.newFixedThreadPool(callers);
			for (int i = 0; i < callers; i++) {
				this.callers.add(executor.submit(() -> {
					try (Connection connection = dataSource.getConnection()) {
						return null;
					}
					catch (SQLException ex) {
						return ex;
					}
				}));
			}
			executor.shutdown();
		}

		List<SQLException> awaitFailures(Duration longestWait) throws Exception {
			List<SQLException> failures = new ArrayList<>();
			for (Future<SQLException> caller : this.callers) {
				// Never longer than the bound the retry settings promise, plus scheduling slack
				SQLException failure = caller.get(longestWait.toMillis() + 5000, TimeUnit.MILLISECONDS);
				if (failure != null) {
					failures.add(failure);
				}
			}
			return failures;
		}

	}

}
