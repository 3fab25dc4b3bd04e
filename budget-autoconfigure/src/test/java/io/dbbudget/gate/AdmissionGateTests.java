package io.dbbudget.gate;

import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.retry.RecordingListener;
import io.dbbudget.retry.RetryingDataSource;
import io.dbbudget.retry.TransientFailures;
import io.dbbudget.scheduling.BackgroundScheduler;
import io.dbbudget.test.TestDatabase;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link AdmissionGate} in front of a real Hikari pool on a real PostgreSQL server:
 * timeouts, interrupts, resizes while callers wait, and that every permit comes back once.
 */
@ExtendWith(OutputCaptureExtension.class)
class AdmissionGateTests {

	private static TestDatabase database;

	private final RecordingListener listener = new RecordingListener();

	private final List<Connection> held = new ArrayList<>();

	private final ExecutorService callers = Executors.newCachedThreadPool();

	private HikariDataSource pool;

	private AdmissionGate gate;

	private RetryingDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("admission");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@AfterEach
	void stop() throws SQLException {
		for (Connection connection : this.held) {
			connection.close();
		}
		this.callers.shutdownNow();
		if (this.pool != null) {
			this.pool.close();
		}
	}

	@Test
	void aWaitThatRunsOutOfTimeEndsAsHikarisOwnPoolTimeoutDoesWithinTheConnectionTimeout() throws Exception {
		start(1, 500);
		SQLException hikarisOwn = hikarisOwnTimeout();
		hold(1);
		Future<Connection> inside = waitInsideThePool(1).get(0);
		long start = System.nanoTime();
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.dataSource::getConnection)
			.satisfies((ex) -> {
				assertThat(ex.getSQLState()).isEqualTo(hikarisOwn.getSQLState());
				assertThat(ex.getCause()).isNull();
				assertThat(TransientFailures.tag(ex)).isEqualTo(TransientFailures.tag(hikarisOwn))
					.isEqualTo(TransientFailures.POOL_TIMEOUT);
				assertThat(TransientFailures.isTransient(ex)).isEqualTo(TransientFailures.isTransient(hikarisOwn));
				assertThat(ex.getMessage()).contains("Connection is not available, request timed out after")
					.contains("waiting at db-budget's admission gate");
			});
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(450),
				Duration.ofMillis(1000));
		// The caller inside the pool ran out of time there, with Hikari's own failure
		assertThat(inside).failsWithin(Duration.ofSeconds(5))
			.withThrowableOfType(ExecutionException.class)
			.withCauseInstanceOf(SQLTransientConnectionException.class);
		assertThat(this.listener.failures).containsExactly(TransientFailures.POOL_TIMEOUT,
				TransientFailures.POOL_TIMEOUT);
		assertThat(this.gate.getAvailable()).isZero();
		assertThat(this.gate.getWaits()).isEqualTo(1);
	}

	@Test
	void anInterruptEndsTheWaitAtOnceAndKeepsTheFlag() throws Exception {
		start(1, 10_000);
		hold(1);
		Future<Connection> inside = waitInsideThePool(1).get(0);
		AtomicBoolean flagKept = new AtomicBoolean();
		AtomicReference<Thread> waiter = new AtomicReference<>();
		Future<SQLException> outcome = this.callers.submit(() -> {
			waiter.set(Thread.currentThread());
			try (Connection connection = this.dataSource.getConnection()) {
				return null;
			}
			catch (SQLException ex) {
				flagKept.set(Thread.currentThread().isInterrupted());
				return ex;
			}
		});
		await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == 1);
		long interrupted = System.nanoTime();
		waiter.get().interrupt();
		SQLException failure = outcome.get(5, TimeUnit.SECONDS);
		assertThat(Duration.ofNanos(System.nanoTime() - interrupted)).isLessThan(Duration.ofSeconds(1));
		assertThat(flagKept).isTrue();
		assertThat((Throwable) failure).hasCauseInstanceOf(InterruptedException.class);
		assertThat(TransientFailures.isTransient(failure)).isFalse();
		assertThat(this.gate.getWaiting()).isZero();
		assertThat(this.gate.getAvailable()).isZero();
		this.held.remove(0).close();
		// The caller inside the pool takes the connection; the permit is free
		this.held.add(inside.get(5, TimeUnit.SECONDS));
		assertThat(this.gate.getAvailable()).isOne();
	}

	@Test
	void callersWaitingWhileEveryConnectionIsHeldGetInWhenThePoolGrows() throws Exception {
		start(4, 10_000, (pool) -> pool.setMinimumIdle(4));
		await().atMost(Duration.ofSeconds(10)).until(() -> this.pool.getHikariPoolMXBean().getIdleConnections() == 4);
		// Lowered as a plan that is not complete yet would: Hikari keeps its open connections
		this.pool.getHikariConfigMXBean().setMaximumPoolSize(1);
		hold(1);
		// The one place beyond the permit: Hikari still has open connections to give
		Connection beyond = connect();
		List<Future<Connection>> waiting = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			waiting.add(this.callers.submit(this::connect));
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == 3);
		assertThat(this.gate.getPermits()).isEqualTo(1);
		// Leaving the place beyond the permits lets nobody in
		beyond.close();
		assertThat(this.gate.getWaiting()).isEqualTo(3);
		long grown = System.nanoTime();
		this.pool.getHikariConfigMXBean().setMaximumPoolSize(4);
		for (Future<Connection> caller : waiting) {
			this.held.add(caller.get(5, TimeUnit.SECONDS));
		}
		// No connection came back: the gate saw the pool grow by itself
		assertThat(Duration.ofNanos(System.nanoTime() - grown)).isLessThan(Duration.ofSeconds(1));
		assertThat(this.gate.getPermits()).isEqualTo(4);
		assertThat(this.gate.getAvailable()).isZero();
		assertThat(this.pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(4);
	}

	@Test
	void callersBeyondThePermitsWaitInsideThePoolOnlyWhileNobodyQueuesAtTheGate() throws Exception {
		start(1, 10_000);
		hold(1);
		Future<Connection> inside = waitInsideThePool(1).get(0);
		Future<Connection> atTheGate = this.callers.submit(this::connect);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == 1);
		assertThat(this.pool.getHikariPoolMXBean().getThreadsAwaitingConnection()).isOne();
		this.held.remove(0).close();
		// The permit returned lets the caller at the gate into the pool: one of the two takes
		// the connection there, and the other waits for it
		await().atMost(Duration.ofSeconds(5))
			.until(() -> (inside.isDone() || atTheGate.isDone()) && this.gate.getWaiting() == 0
					&& this.pool.getHikariPoolMXBean().getThreadsAwaitingConnection() == 1);
		assertThat(this.gate.getAvailable()).isZero();
		Future<Connection> first = inside.isDone() ? inside : atTheGate;
		first.get(5, TimeUnit.SECONDS).close();
		this.held.add(((first == inside) ? atTheGate : inside).get(5, TimeUnit.SECONDS));
		this.held.remove(0).close();
		assertThat(this.gate.getAvailable()).isOne();
		assertThat(this.gate.getWaits()).isOne();
	}

	@Test
	void callersWaitingAtTheGateGetInInTheOrderTheyCameHoweverLongTheyWait() throws Exception {
		start(1, 10_000);
		hold(1);
		List<Future<Connection>> callers = new ArrayList<>(waitInsideThePool(1));
		for (int i = 1; i <= 3; i++) {
			callers.add(this.callers.submit(this::connect));
			int waiting = i;
			await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == waiting);
		}
		// Long enough for the pool's maximum to be looked at several times while they wait:
		// looking must not cost a waiter its place
		Thread.sleep(300);
		List<Integer> order = new ArrayList<>();
		Connection current = this.held.remove(0);
		while (order.size() < callers.size()) {
			current.close();
			int next = await().atMost(Duration.ofSeconds(5)).until(() -> firstConnected(callers, order), (index) -> index >= 0);
			order.add(next);
			current = callers.get(next).get();
		}
		current.close();
		// The caller inside the pool may come anywhere; those from the gate come in their order
		assertThat(order.stream().filter((caller) -> caller > 0)).containsExactly(1, 2, 3);
		assertThat(this.gate.getAvailable()).isOne();
	}

	@Test
	void aPoolShrunkBelowTheConnectionsHeldLetsCallersInOnlyOnceEnoughComeBack() throws Exception {
		start(4, 10_000);
		hold(4);
		this.pool.getHikariConfigMXBean().setMaximumPoolSize(2);
		// While the shrink is paid off, nobody goes in beyond the permits either
		Future<Connection> caller = this.callers.submit(this::connect);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == 1);
		assertThat(this.gate.getPermits()).isEqualTo(2);
		assertThat(this.gate.getAvailable()).isEqualTo(-2);
		this.held.remove(0).close();
		this.held.remove(0).close();
		assertThat(this.gate.getWaiting()).isOne();
		this.held.remove(0).close();
		this.held.add(caller.get(5, TimeUnit.SECONDS));
		assertThat(this.gate.getAvailable()).isZero();
		this.held.remove(0).close();
		this.held.remove(0).close();
		assertThat(this.gate.getAvailable()).isEqualTo(2);
	}

	@Test
	void aConnectionClosedTwiceReturnsItsPermitOnce() throws Exception {
		start(2, 10_000);
		Connection connection = this.dataSource.getConnection();
		assertThat(this.gate.getAvailable()).isOne();
		connection.close();
		connection.close();
		assertThat(connection.isClosed()).isTrue();
		assertThat(this.gate.getAvailable()).isEqualTo(2);
		hold(2);
		assertThat(this.gate.getAvailable()).isZero();
	}

	@Test
	void aConnectionClosedByManyThreadsAtOnceReturnsItsPermitOnce() throws Exception {
		start(2, 10_000);
		for (int round = 0; round < 20; round++) {
			Connection connection = this.dataSource.getConnection();
			CyclicBarrier together = new CyclicBarrier(4);
			List<CompletableFuture<Void>> closers = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				closers.add(CompletableFuture.runAsync(() -> {
					try {
						together.await();
						connection.close();
					}
					catch (Exception ex) {
						throw new IllegalStateException(ex);
					}
				}, this.callers));
			}
			CompletableFuture.allOf(closers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
			assertThat(this.gate.getAvailable()).isEqualTo(2);
		}
	}

	@Test
	void aConnectionNeverClosedKeepsOnePermitAndHikarisLeakDetectionStillReportsIt(CapturedOutput output)
			throws Exception {
		start(2, 500, (pool) -> pool.setLeakDetectionThreshold(2000));
		Connection leaked = this.dataSource.getConnection();
		for (int i = 0; i < 5; i++) {
			try (Connection connection = this.dataSource.getConnection()) {
				assertThat(connection.isValid(1)).isTrue();
			}
		}
		assertThat(this.gate.getAvailable()).isOne();
		await().atMost(Duration.ofSeconds(10)).until(() -> output.getAll().contains("Connection leak detection triggered"));
		hold(1);
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.dataSource::getConnection);
		assertThat(this.pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(2);
		leaked.close();
		assertThat(this.gate.getAvailable()).isOne();
	}

	@Test
	void theConnectionHandedOutReachesThePoolsAndTheDriversOwn() throws Exception {
		start(1, 10_000);
		try (Connection connection = this.dataSource.getConnection()) {
			assertThat(connection.isWrapperFor(PGConnection.class)).isTrue();
			assertThat(connection.unwrap(PGConnection.class)).isNotNull();
			assertThat(connection.unwrap(Connection.class)).isSameAs(connection);
		}
	}

	@Test
	void anAbortedConnectionGivesItsPermitBack() throws Exception {
		start(1, 2000);
		Connection aborted = this.dataSource.getConnection();
		aborted.abort(Runnable::run);
		assertThat(aborted.isClosed()).isTrue();
		assertThat(this.gate.getAvailable()).isOne();
		// Hikari took the broken connection back and opens another for the next caller
		try (Connection next = this.dataSource.getConnection();
				Statement statement = next.createStatement()) {
			assertThat(statement.execute("SELECT 1")).isTrue();
		}
		assertThat(this.gate.getAvailable()).isOne();
		assertThat(this.listener.failures).isEmpty();
	}

	@Test
	void aConnectionClosedThroughItsStatementKeepsItsPermitAndTheGateSaysSoOnce(CapturedOutput output)
			throws Exception {
		start(1, 3000);
		Connection leaked = this.dataSource.getConnection();
		leaked.createStatement().getConnection().close();
		// The pool has the connection back: a caller beyond the permits takes it there
		hold(1);
		Future<Connection> atTheGate = this.callers.submit(this::connect);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == 1);
		await().atMost(Duration.ofSeconds(3))
			.untilAsserted(() -> assertThat(output.getOut()).containsOnlyOnce("1 of the admission gate's 1 permits are "
					+ "held by connections the pool has already taken back"));
		this.held.remove(0).close();
		leaked.close();
		this.held.add(atTheGate.get(5, TimeUnit.SECONDS));
	}

	@Test
	void theSizeWatcherKeepsNoCallersClassLoader() throws Exception {
		// That it ends when idle, and inherits nothing from the caller that starts it, is
		// BackgroundSchedulerTests': here, the gate's watcher is such a thread
		start(1, 10_000);
		hold(1);
		Future<Connection> inside = waitInsideThePool(1).get(0);
		ClassLoader callersClassLoader = new URLClassLoader(new URL[0], getClass().getClassLoader());
		FutureTask<Void> caller = new FutureTask<>(() -> {
			connect().close();
			return null;
		});
		Thread callerThread = new Thread(caller, "caller-of-a-redeployed-application");
		callerThread.setContextClassLoader(callersClassLoader);
		callerThread.start();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.gate.getWaiting() == 1);
		Thread watcher = sizeWatcher();
		assertThat(watcher).isNotNull();
		assertThat(watcher.getContextClassLoader()).isNotSameAs(callersClassLoader);
		for (Connection connection : this.held) {
			connection.close();
		}
		this.held.clear();
		inside.get(5, TimeUnit.SECONDS).close();
		caller.get(5, TimeUnit.SECONDS);
		assertThat(watcher.getContextClassLoader()).isSameAs(BackgroundScheduler.class.getClassLoader());
	}

	private static @Nullable Thread sizeWatcher() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().equals("db-budget-admission-gate-watch"))
			.findFirst()
			.orElse(null);
	}

	private void start(int size, long connectionTimeoutMillis) throws SQLException {
		start(size, connectionTimeoutMillis, (pool) -> {
		});
	}

	private void start(int size, long connectionTimeoutMillis, Consumer<HikariDataSource> customizer)
			throws SQLException {
		this.pool = new HikariDataSource();
		this.pool.setJdbcUrl(database.jdbcUrl());
		this.pool.setUsername(database.username());
		this.pool.setPassword(database.password());
		this.pool.setPoolName("admission");
		this.pool.setMaximumPoolSize(size);
		this.pool.setConnectionTimeout(connectionTimeoutMillis);
		customizer.accept(this.pool);
		this.gate = new AdmissionGate(this.pool);
		this.dataSource = new RetryingDataSource(this.pool, "admission", null, Duration.ofMillis(connectionTimeoutMillis),
				this.listener, this.gate);
		// starts the pool
		this.dataSource.getConnection().close();
	}

	private Connection connect() throws SQLException {
		return this.dataSource.getConnection();
	}

	private void hold(int connections) throws SQLException {
		for (int i = 0; i < connections; i++) {
			this.held.add(this.dataSource.getConnection());
		}
	}

	// Callers beyond the permits wait inside the pool, as many as it has connections and only
	// while nobody queues at the gate: these take those places
	private List<Future<Connection>> waitInsideThePool(int callers) {
		List<Future<Connection>> inside = new ArrayList<>();
		for (int i = 0; i < callers; i++) {
			inside.add(this.callers.submit(this::connect));
		}
		await().atMost(Duration.ofSeconds(5))
			.until(() -> this.pool.getHikariPoolMXBean().getThreadsAwaitingConnection() == callers);
		assertThat(this.gate.getWaiting()).isZero();
		return inside;
	}

	// The index of the first caller that has a connection and is not in the order yet, or -1
	private static int firstConnected(List<Future<Connection>> callers, List<Integer> order) {
		for (int i = 0; i < callers.size(); i++) {
			if (callers.get(i).isDone() && !order.contains(i)) {
				return i;
			}
		}
		return -1;
	}

	private SQLException hikarisOwnTimeout() throws SQLException {
		// Hikari's own timeout, straight from the pool, to compare with
		try (Connection holder = this.pool.getConnection()) {
			this.pool.getConnection().close();
			throw new IllegalStateException("the pool of one gave a second connection");
		}
		catch (SQLTransientConnectionException ex) {
			return ex;
		}
	}

}
