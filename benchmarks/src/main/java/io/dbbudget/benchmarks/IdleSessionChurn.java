package io.dbbudget.benchmarks;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.util.DriverDataSource;
import io.dbbudget.advisor.Advice;
import io.dbbudget.advisor.Advisor;
import io.dbbudget.advisor.PoolSettings;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.server.ServerDialect;

/**
 * What {@code idle_session_timeout} shorter than the time a Hikari pool leaves its idle
 * connections untouched costs, measured: two pools with Hikari's defaults (10 connections,
 * fixed size) on the same server, one as a role that keeps the server's short
 * {@code idle_session_timeout} ("without the fix"), one as a role for which the advisor's fix
 * was applied ("with the fix"). Each round lets both pools sit idle longer than the server's
 * timeout, then sends a burst of concurrent callers to each, in alternating order, and records
 * how long each caller waited in {@code getConnection()} and how many connections the pool had
 * to open. A burst straight after the first one (no idle time) is the warm baseline.
 * <p>
 * Run by {@code benchmarks/idle-session-churn.sh}, which starts the private server; system
 * properties {@code url}, {@code without.user}, {@code with.user}, {@code password},
 * {@code idle} (default 8s), {@code rounds} (default 10), {@code callers} (default 10).
 *
 * @author db-budget team
 */
public final class IdleSessionChurn {

	private static final int POOL_SIZE = 10;

	private IdleSessionChurn() {
	}

	public static void main(String[] args) throws Exception {
		String url = System.getProperty("url");
		String password = System.getProperty("password");
		Duration idle = Duration.parse("PT" + System.getProperty("idle", "8s"));
		int rounds = Integer.getInteger("rounds", 10);
		int callers = Integer.getInteger("callers", 10);
		List<Run> runs = List.of(new Run("without the fix", System.getProperty("without.user"), url, password),
				new Run("with the fix", System.getProperty("with.user"), url, password));
		try {
			for (Run run : runs) {
				run.advise();
				run.fill();
			}
			for (Run run : runs) {
				run.warm.addAll(run.burst(callers));
			}
			for (int round = 0; round < rounds; round++) {
				Thread.sleep(idle.toMillis());
				// Alternate the order, so that neither pool always waits the burst of the other
				List<Run> order = new ArrayList<>(runs);
				if (round % 2 == 1) {
					Collections.reverse(order);
				}
				for (Run run : order) {
					long created = run.created.sum();
					run.afterIdle.addAll(run.burst(callers));
					run.createdPerRound.add(run.created.sum() - created);
				}
			}
		}
		finally {
			runs.forEach(Run::close);
		}
		System.out.printf(Locale.ROOT, "%nidle %d s between rounds, %d rounds, %d concurrent callers, pools of %d%n",
				idle.toSeconds(), rounds, callers, POOL_SIZE);
		System.out.println("| pool | getConnection() after idle: mean | p50 | p95 | max | warm mean | "
				+ "connections opened per round |");
		System.out.println("|---|---|---|---|---|---|---|");
		for (Run run : runs) {
			System.out.println(run.summary());
		}
		Run without = runs.get(0);
		Run with = runs.get(1);
		System.out.printf(Locale.ROOT, "%nmean acquisition after idle, without / with the fix: %.1fx; "
				+ "connections opened: %d vs %d%n", mean(without.afterIdle) / mean(with.afterIdle),
				sum(without.createdPerRound), sum(with.createdPerRound));
	}

	private static double mean(List<Long> nanos) {
		return nanos.stream().mapToLong(Long::longValue).average().orElse(0);
	}

	private static long sum(List<Long> values) {
		return values.stream().mapToLong(Long::longValue).sum();
	}

	private static String millis(double nanos) {
		return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
	}

	private static final class Run implements AutoCloseable {

		private final String label;

		private final String user;

		private final String url;

		private final String password;

		private final HikariDataSource pool;

		private final LongAdder created = new LongAdder();

		private final List<Long> warm = new ArrayList<>();

		private final List<Long> afterIdle = new ArrayList<>();

		private final List<Long> createdPerRound = new ArrayList<>();

		private final ExecutorService callers = Executors.newCachedThreadPool();

		Run(String label, String user, String url, String password) {
			this.label = label;
			this.user = user;
			this.url = url;
			this.password = password;
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(url);
			config.setUsername(user);
			config.setPassword(password);
			config.setPoolName(user);
			config.setMaximumPoolSize(POOL_SIZE);
			config.setMetricsTrackerFactory((name, stats) -> new IMetricsTracker() {
				@Override
				public void recordConnectionCreatedMillis(long millis) {
					Run.this.created.increment();
				}
			});
			this.pool = new HikariDataSource(config);
		}

		// What the advisor says of this role and this pool, from the same reads as the starter's
		void advise() throws SQLException {
			List<ServerSettings> settings = new ArrayList<>();
			try (Connection connection = new DriverDataSource(this.url, null, new Properties(), this.user,
					this.password).getConnection()) {
				ServerDialect.forUrl(this.url).readLimits(connection, settings::add);
			}
			PoolSettings pool = PoolSettings.ofHikari("dataSource", "spring.datasource.hikari",
					this.pool.getMaximumPoolSize(), this.pool.getMinimumIdle(),
					Duration.ofMillis(this.pool.getIdleTimeout()), Duration.ofMillis(this.pool.getMaxLifetime()),
					Duration.ofMillis(this.pool.getKeepaliveTime()), Duration.ofMillis(this.pool.getLeakDetectionThreshold()));
			List<Advice> advice = new Advisor(List.of("statement_timeout", "tcp_keepalives",
					"idle_in_transaction_session_timeout"), Duration.ofMinutes(1))
				.advise(settings.get(0), List.of(pool), List.of());
			System.out.println(this.label + " (role " + this.user + "): " + (advice.isEmpty() ? "no advice"
					: advice.stream().map(Advice::describe).toList()));
		}

		void fill() throws InterruptedException {
			while (this.pool.getHikariPoolMXBean().getIdleConnections() < POOL_SIZE) {
				Thread.sleep(50);
			}
		}

		// Every caller takes a connection at the same moment, runs one query and returns it
		List<Long> burst(int callers) throws Exception {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<Long>> waits = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				waits.add(this.callers.submit(() -> {
					start.await();
					long begin = System.nanoTime();
					try (Connection connection = this.pool.getConnection()) {
						long waited = System.nanoTime() - begin;
						try (Statement statement = connection.createStatement()) {
							statement.execute("SELECT 1");
						}
						return waited;
					}
				}));
			}
			start.countDown();
			List<Long> nanos = new ArrayList<>();
			for (Future<Long> wait : waits) {
				nanos.add(wait.get());
			}
			// Let the pool refill before it idles again
			fill();
			return nanos;
		}

		String summary() {
			List<Long> sorted = this.afterIdle.stream().sorted().toList();
			return "| " + this.label + " | " + millis(mean(sorted)) + " | " + millis(sorted.get(sorted.size() / 2))
					+ " | " + millis(sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1)) + " | "
					+ millis(sorted.get(sorted.size() - 1)) + " | " + millis(mean(this.warm)) + " | "
					+ String.format(Locale.ROOT, "%.1f", sum(this.createdPerRound) / (double) this.createdPerRound.size())
					+ " |";
		}

		@Override
		public void close() {
			this.callers.shutdownNow();
			this.pool.close();
		}

	}

}
