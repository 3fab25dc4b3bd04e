package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection the server terminated never reaches a caller: when the server ends sessions,
 * the failures are the work that was in flight, and a pool's idle connections are checked
 * before they are handed out, not thrown away.
 */
class TerminatedConnectionsTests {

	private static final String APP = "terminated";

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "spring.application.name=" + APP);

	@BeforeAll
	static void createDatabase() throws SQLException {
		database = TestDatabase.create("terminated_connections");
		try (Connection connection = database.openConnection(); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE writes (id bigint PRIMARY KEY)");
		}
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void massTerminationsUnderLoadFailOnlyTheWorkInFlightAndLoseNoWrite() {
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20").run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			Load load = new Load(dataSource);
			load.start(10, 10);
			Thread.sleep(1500);
			List<Termination> rounds = new ArrayList<>();
			for (int round = 0; round < 3; round++) {
				Termination termination = terminateAll();
				assertThat(termination.sessions()).isPositive();
				rounds.add(termination);
				Thread.sleep(1500);
			}
			load.stop();
			for (int round = 0; round < rounds.size(); round++) {
				Termination termination = rounds.get(round);
				long until = (round + 1 < rounds.size()) ? rounds.get(round + 1).start() : Long.MAX_VALUE;
				// In flight: begun before the last session had ended, not over before the signals
				long inFlight = load.operations.stream()
					.filter((operation) -> operation.start() <= termination.end()
							&& operation.end() >= termination.start())
					.count();
				List<Operation> failures = load.operations.stream()
					.filter((operation) -> operation.failed() && operation.end() >= termination.start()
							&& operation.end() < until)
					.toList();
				System.out.printf("termination %d of %d sessions: %d operations in flight, %d failed, %d of them "
						+ "begun after the sessions had ended%n", round + 1, termination.sessions(), inFlight, failures.size(),
						failures.stream().filter((operation) -> operation.start() > termination.end()).count());
				assertThat(failures).hasSizeLessThanOrEqualTo((int) inFlight);
			}
			assertThat(load.operations).filteredOn(Operation::failed)
				.allMatch((operation) -> operation.end() >= rounds.get(0).start());
			assertThat(load.committed).isNotEmpty();
			assertThat(storedIds(dataSource)).containsAll(load.committed);
		});
	}

	@Test
	void terminatingOneSessionCostsThePoolThatSessionAlone() {
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=8").run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			Set<Integer> before = new HashSet<>(pidsOfEveryConnection(dataSource));
			assertThat(before).hasSize(8);
			// Every connection was used a moment ago, inside Hikari's alive-bypass window
			int victim = before.iterator().next();
			terminate(List.of(victim));
			List<Integer> failures = new ArrayList<>();
			List<Integer> after = new ArrayList<>();
			for (int attempt = 0; attempt < 2; attempt++) {
				try {
					after.addAll(pidsOfEveryConnection(dataSource));
					break;
				}
				catch (SQLException ex) {
					failures.add(attempt);
				}
			}
			assertThat(failures).hasSizeLessThanOrEqualTo(1);
			Set<Integer> survivors = new HashSet<>(before);
			survivors.remove(victim);
			assertThat(after).hasSize(8).containsAll(survivors).doesNotContain(victim);
		});
	}

	@Test
	void idleSessionsTheServerEndedReachNoCallerOnceOneHasFailed() {
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=8").run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			List<Integer> before = pidsOfEveryConnection(dataSource);
			// Every connection was used a moment ago, inside Hikari's alive-bypass window
			List<Integer> victims = before.subList(0, 4);
			terminate(victims);
			List<Connection> held = new ArrayList<>();
			int failures = 0;
			try {
				while (held.size() < 8 && failures <= victims.size()) {
					Connection connection = dataSource.getConnection();
					try (Statement statement = connection.createStatement()) {
						statement.execute("SELECT 1");
						held.add(connection);
					}
					catch (SQLException ex) {
						failures++;
						connection.close();
					}
				}
			}
			finally {
				for (Connection connection : held) {
					connection.close();
				}
			}
			// The first caller to meet a terminated session is the only one
			assertThat(failures).isEqualTo(1);
			assertThat(pidsOfEveryConnection(dataSource)).containsAll(before.subList(4, 8))
				.doesNotContainAnyElementsOf(victims);
		});
	}

	@Test
	void anOverrideTheApplicationConfiguredStillDecidesEviction() {
		this.runner
			.withPropertyValues(
					"spring.datasource.hikari.exception-override-class-name=" + NeverEvict.class.getName())
			.run((context) -> {
				HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
				SQLExceptionOverride override = pool.getExceptionOverride();
				assertThat(override).isNotInstanceOf(NeverEvict.class);
				assertThat(override.adjudicate(new SQLException("terminated", "57P01")))
					.isEqualTo(SQLExceptionOverride.Override.DO_NOT_EVICT);
				assertThat(override.adjudicate(new SQLException("syntax", "42601")))
					.isEqualTo(SQLExceptionOverride.Override.DO_NOT_EVICT);
			});
	}

	/**
	 * Signals every session of the pool at once, as an administrator would, and waits until
	 * they have ended: a backend ends when it handles the signal, which on a busy machine can
	 * be tens of milliseconds after the signal was sent.
	 * @return from when the signals went out until the last session had ended, and how many
	 */
	private static Termination terminateAll() throws Exception {
		try (Connection admin = database.adminConnection();
				// Materialized first, so that nothing but the pool's sessions is ever signalled
				PreparedStatement signal = admin.prepareStatement("WITH pool AS MATERIALIZED (SELECT pid FROM "
						+ "pg_stat_activity WHERE usename = ? AND application_name = ?) SELECT array_agg(pid) FROM pool "
						+ "WHERE pg_terminate_backend(pid)");
				PreparedStatement alive = admin
					.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(?)")) {
			signal.setString(1, database.username());
			signal.setString(2, APP);
			long start = System.nanoTime();
			java.sql.Array pids;
			try (ResultSet result = signal.executeQuery()) {
				result.next();
				pids = result.getArray(1);
			}
			alive.setArray(1, pids);
			long deadline = start + TimeUnit.SECONDS.toNanos(10);
			while (System.nanoTime() < deadline) {
				try (ResultSet result = alive.executeQuery()) {
					result.next();
					if (result.getInt(1) == 0) {
						break;
					}
				}
				Thread.sleep(1);
			}
			return new Termination(start, System.nanoTime(), ((Integer[]) pids.getArray()).length);
		}
	}

	private static void terminate(List<Integer> pids) throws SQLException {
		// Waits until the sessions have ended, well within Hikari's alive-bypass window
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin
					.prepareStatement("SELECT bool_and(pg_terminate_backend(pid, 2000)) FROM unnest(?) AS pid")) {
			statement.setArray(1, admin.createArrayOf("int4", pids.toArray()));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				assertThat(result.getBoolean(1)).isTrue();
			}
		}
	}

	/**
	 * Borrows every connection of the pool at once and asks each for its server process.
	 */
	private static List<Integer> pidsOfEveryConnection(DataSource dataSource) throws SQLException {
		HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
		List<Connection> connections = new ArrayList<>();
		try {
			List<Integer> pids = new ArrayList<>();
			for (int i = 0; i < pool.getMaximumPoolSize(); i++) {
				Connection connection = dataSource.getConnection();
				connections.add(connection);
				try (Statement statement = connection.createStatement();
						ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
					result.next();
					pids.add(result.getInt(1));
				}
			}
			return pids;
		}
		finally {
			for (Connection connection : connections) {
				connection.close();
			}
		}
	}

	private static Set<Long> storedIds(DataSource dataSource) throws SQLException {
		Set<Long> stored = new HashSet<>();
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT id FROM writes")) {
			while (rows.next()) {
				stored.add(rows.getLong(1));
			}
		}
		return stored;
	}

	/**
	 * An override an application might configure: it never lets Hikari evict.
	 */
	public static class NeverEvict implements SQLExceptionOverride {

		@java.lang.Override
		public Override adjudicate(SQLException failure) {
			return Override.DO_NOT_EVICT;
		}

	}

	record Operation(long start, long end, boolean failed) {

	}

	record Termination(long start, long end, int sessions) {

	}

	/**
	 * Writers that insert and commit, readers that query, each pausing briefly between
	 * operations so that the pool always holds idle connections.
	 */
	static final class Load {

		private final DataSource dataSource;

		private final AtomicLong ids = new AtomicLong();

		private final AtomicBoolean running = new AtomicBoolean(true);

		final Set<Long> committed = ConcurrentHashMap.newKeySet();

		final ConcurrentLinkedQueue<Operation> operations = new ConcurrentLinkedQueue<>();

		private final List<Future<?>> workers = new ArrayList<>();

		private ExecutorService executor;

		Load(DataSource dataSource) {
			this.dataSource = dataSource;
		}

		void start(int writers, int readers) {
			this.executor = Executors.newFixedThreadPool(writers + readers);
			for (int i = 0; i < writers + readers; i++) {
				boolean writer = i < writers;
				this.workers.add(this.executor.submit(() -> {
					while (this.running.get()) {
						long start = System.nanoTime();
						boolean failed = false;
						try {
							if (writer) {
								write();
							}
							else {
								read();
							}
						}
						catch (SQLException ex) {
							failed = true;
						}
						this.operations.add(new Operation(start, System.nanoTime(), failed));
						Thread.sleep(5);
					}
					return null;
				}));
			}
			this.executor.shutdown();
		}

		private void write() throws SQLException {
			long id = this.ids.incrementAndGet();
			try (Connection connection = this.dataSource.getConnection()) {
				connection.setAutoCommit(false);
				try (PreparedStatement insert = connection.prepareStatement("INSERT INTO writes (id) VALUES (?)")) {
					insert.setLong(1, id);
					insert.executeUpdate();
				}
				connection.commit();
				this.committed.add(id);
			}
		}

		private void read() throws SQLException {
			try (Connection connection = this.dataSource.getConnection();
					Statement statement = connection.createStatement();
					ResultSet result = statement.executeQuery("SELECT count(*), pg_sleep(0.002) FROM writes")) {
				result.next();
			}
		}

		void stop() throws Exception {
			this.running.set(false);
			for (Future<?> worker : this.workers) {
				// Bounded: a worker still running a minute after the load ended is stuck
				worker.get(1, TimeUnit.MINUTES);
			}
		}

	}

}
