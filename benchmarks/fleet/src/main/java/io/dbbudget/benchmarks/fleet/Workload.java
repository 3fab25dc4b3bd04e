package io.dbbudget.benchmarks.fleet;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.HdrHistogram.Histogram;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.stereotype.Component;

/**
 * Runs the workload once when the application has started: a start-up query (as an
 * application with Flyway or JPA would make), then, from the go signal on, {@code threads}
 * client threads that run transactions back to back for {@code duration}. Writes
 * {@code <instance>.json} and lets the application exit.
 *
 * @author db-budget team
 */
@Component
class Workload implements ApplicationRunner, ExitCodeGenerator {

	private static final Log logger = LogFactory.getLog(Workload.class);

	// Latencies in microseconds, up to an hour
	private static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);

	private final DataSource dataSource;

	private final WorkloadProperties properties;

	private int exitCode;

	Workload(DataSource dataSource, WorkloadProperties properties) {
		this.dataSource = dataSource;
		this.properties = properties;
	}

	@Override
	public int getExitCode() {
		return this.exitCode;
	}

	@Override
	public void run(ApplicationArguments args) throws Exception {
		WorkloadProperties p = this.properties;
		Files.createDirectories(p.getOutDir());
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("instanceId", p.getInstanceId());
		result.put("config", p.getConfig());
		result.put("mode", p.getMode());
		Schedule schedule = Schedule.of(p.getPhases(), p.getThreads(), p.getDuration());
		Duration window = schedule.total();
		result.put("threads", schedule.maxThreads());
		result.put("durationMillis", window.toMillis());
		result.put("phases", schedule.phases());
		result.put("pid", ProcessHandle.current().pid());
		HikariDataSource hikari = this.dataSource.isWrapperFor(HikariDataSource.class)
				? this.dataSource.unwrap(HikariDataSource.class) : null;
		result.put("dataSourceClass", this.dataSource.getClass().getName());

		result.put("startTimedOut", !awaitFile(p.getStartFile()));
		// Start-up query: the pool starts here and fills towards minimum-idle in the background
		long checkStart = System.nanoTime();
		try (Connection connection = this.dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute("SELECT 1");
		}
		catch (SQLException | RuntimeException ex) {
			result.put("started", false);
			result.put("startupError", classify(ex) + " " + message(ex));
			result.put("startupCheckMillis", millisSince(checkStart));
			result.put("pool", poolFacts(hikari, null));
			write(result);
			logger.error("fleet: start-up query failed, this instance counts as not started: " + message(ex));
			this.exitCode = 1;
			return;
		}
		result.put("started", true);
		result.put("startupCheckMillis", millisSince(checkStart));
		long fillStart = System.nanoTime();
		result.put("poolTotalAtReady", awaitFill(hikari));
		result.put("fillWaitMillis", millisSince(fillStart));
		result.put("jvmUptimeAtReadyMillis", ManagementFactory.getRuntimeMXBean().getUptime());

		Files.writeString(p.getOutDir().resolve(p.getInstanceId() + ".ready"), "ready\n");
		result.put("goTimedOut", !awaitFile(p.getGoFile()));

		PoolWatcher watcher = new PoolWatcher(hikari);
		watcher.start();
		Timeline timeline = new Timeline(window);
		long windowStart = System.nanoTime() + p.getWarmup().toNanos();
		long deadline = windowStart + window.toNanos();
		result.put("goEpochMillis", System.currentTimeMillis());
		result.put("warmupMillis", p.getWarmup().toMillis());
		OraclePools oracle = null;
		if (hikari != null && p.getPhases().stream().anyMatch((phase) -> phase.getPoolSize() != null)) {
			oracle = new OraclePools(hikari, schedule, windowStart, p.getOracleGrowDelay().toNanos());
			oracle.start();
		}
		List<Client> clients = new ArrayList<>();
		for (int i = 0; i < schedule.maxThreads(); i++) {
			Client client = new Client(i, schedule, timeline, windowStart, deadline);
			client.thread = new Thread(client, "client-" + i);
			client.thread.setDaemon(true);
			clients.add(client);
		}
		clients.forEach((client) -> client.thread.start());
		long joinDeadline = deadline + p.getGrace().toNanos();
		int unfinished = 0;
		for (Client client : clients) {
			long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime()));
			client.thread.join(left);
			if (client.thread.isAlive()) {
				unfinished++;
			}
		}
		watcher.stop();
		if (oracle != null) {
			oracle.stop();
		}
		result.put("unfinishedThreads", unfinished);

		Histogram latency = new Histogram(HIGHEST_MICROS, 3);
		Histogram acquire = new Histogram(HIGHEST_MICROS, 3);
		long ok = 0;
		long late = 0;
		long warmupOk = 0;
		Map<String, Long> errors = new TreeMap<>();
		Map<String, String> samples = new TreeMap<>();
		for (Client client : clients) {
			synchronized (client) {
				latency.add(client.latency);
				acquire.add(client.acquire);
				ok += client.ok;
				late += client.late;
				warmupOk += client.warmupOk;
				client.errors.forEach((key, count) -> errors.merge(key, count, Long::sum));
				client.samples.forEach(samples::putIfAbsent);
			}
		}
		result.put("ok", ok);
		result.put("okAfterWindow", late);
		result.put("okDuringWarmup", warmupOk);
		result.put("errors", errors);
		result.put("errorSamples", samples);
		result.put("txPerSecond", ok / (window.toNanos() / 1e9));
		result.put("latencyMillis", summary(latency));
		result.put("acquireMillis", summary(acquire));
		result.put("latencyHistogram", encode(latency));
		result.put("pool", poolFacts(hikari, watcher));
		result.put("timeline", timeline.toMap());
		write(result);
		logger.info("fleet: instance " + p.getInstanceId() + " (" + p.getConfig() + "): " + ok + " ok, errors " + errors
				+ ", " + Math.round(ok / (window.toNanos() / 1e9)) + " tx/s");
	}

	/**
	 * Waits until the pool holds minimum-idle connections, no longer than the fill timeout and
	 * no longer than 3 s without a new connection (an overcommitted pool may never fill).
	 */
	private int awaitFill(HikariDataSource hikari) throws InterruptedException {
		if (hikari == null || hikari.getHikariPoolMXBean() == null) {
			return -1;
		}
		HikariPoolMXBean pool = hikari.getHikariPoolMXBean();
		long until = System.nanoTime() + this.properties.getFillTimeout().toNanos();
		int last = pool.getTotalConnections();
		long lastProgress = System.nanoTime();
		while (last < hikari.getMinimumIdle() && System.nanoTime() < until
				&& System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(3)) {
			Thread.sleep(50);
			int total = pool.getTotalConnections();
			if (total != last) {
				last = total;
				lastProgress = System.nanoTime();
			}
		}
		return last;
	}

	/** Waits for the runner's signal file, if any, for at most the go timeout; false when it did not come. */
	private boolean awaitFile(Path signal) throws InterruptedException {
		if (signal == null) {
			return true;
		}
		long until = System.nanoTime() + this.properties.getGoTimeout().toNanos();
		while (System.nanoTime() < until) {
			if (Files.exists(signal)) {
				return true;
			}
			Thread.sleep(20);
		}
		logger.warn("fleet: no " + signal.getFileName() + " within " + this.properties.getGoTimeout()
				+ ", going on anyway");
		return false;
	}

	private void write(Map<String, Object> result) throws IOException {
		Path file = this.properties.getOutDir().resolve(this.properties.getInstanceId() + ".json");
		Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
		JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), result);
		Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
	}

	private static Map<String, Object> poolFacts(HikariDataSource hikari, PoolWatcher watcher) {
		Map<String, Object> pool = new LinkedHashMap<>();
		if (hikari != null) {
			pool.put("maximumPoolSize", hikari.getMaximumPoolSize());
			pool.put("minimumIdle", hikari.getMinimumIdle());
			pool.put("connectionTimeoutMillis", hikari.getConnectionTimeout());
		}
		if (watcher != null) {
			pool.put("peakTotal", watcher.peakTotal);
			pool.put("peakActive", watcher.peakActive);
			pool.put("peakWaiting", watcher.peakWaiting);
			pool.put("lowestTotalAfterFirstSecond", watcher.lowestTotal);
		}
		return pool;
	}

	static Map<String, Object> summary(Histogram histogram) {
		Map<String, Object> summary = new LinkedHashMap<>();
		summary.put("count", histogram.getTotalCount());
		summary.put("p50", histogram.getValueAtPercentile(50) / 1000.0);
		summary.put("p99", histogram.getValueAtPercentile(99) / 1000.0);
		summary.put("max", histogram.getMaxValue() / 1000.0);
		summary.put("mean", histogram.getMean() / 1000.0);
		return summary;
	}

	private static String encode(Histogram histogram) {
		ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
		int length = histogram.encodeIntoCompressedByteBuffer(buffer);
		byte[] bytes = new byte[length];
		buffer.flip();
		buffer.get(bytes);
		return Base64.getEncoder().encodeToString(bytes);
	}

	private static long millisSince(long start) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
	}

	/**
	 * The SQLSTATE of a failure, from its cause chain, with the server's error number where
	 * the driver gives one (MariaDB's and MySQL's, such as {@code 08004/1040}; pgjdbc gives
	 * none); a pool timeout (Hikari's {@link SQLTransientConnectionException}) is prefixed
	 * with {@code pool-timeout}.
	 */
	static String classify(Throwable failure) {
		String prefix = (failure instanceof SQLTransientConnectionException) ? "pool-timeout " : "";
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof SQLException sql && sql.getSQLState() != null) {
				String code = (sql.getErrorCode() != 0) ? "/" + sql.getErrorCode() : "";
				return prefix + sql.getSQLState() + code;
			}
		}
		return prefix.isEmpty() ? "no-sqlstate " + failure.getClass().getSimpleName() : prefix.trim();
	}

	private static String message(Throwable failure) {
		StringBuilder text = new StringBuilder(String.valueOf(failure.getMessage()));
		for (Throwable suppressed : failure.getSuppressed()) {
			text.append(" [suppressed: ").append(suppressed.getMessage()).append(']');
		}
		return (text.length() > 400) ? text.substring(0, 400) : text.toString();
	}

	/**
	 * One client thread: transactions back to back until the deadline, while the schedule
	 * runs more threads than its index.
	 */
	private final class Client implements Runnable {

		private final int index;

		private final Schedule schedule;

		private final Timeline timeline;

		private final long windowStart;

		private final long deadline;

		private Thread thread;

		private final Histogram latency = new Histogram(HIGHEST_MICROS, 3);

		private final Histogram acquire = new Histogram(HIGHEST_MICROS, 3);

		private long ok;

		private long late;

		private long warmupOk;

		private final Map<String, Long> errors = new ConcurrentHashMap<>();

		private final Map<String, String> samples = new ConcurrentHashMap<>();

		Client(int index, Schedule schedule, Timeline timeline, long windowStart, long deadline) {
			this.index = index;
			this.schedule = schedule;
			this.timeline = timeline;
			this.windowStart = windowStart;
			this.deadline = deadline;
		}

		@Override
		public void run() {
			WorkloadProperties p = Workload.this.properties;
			boolean select = p.getMode().equals("select");
			while (System.nanoTime() < this.deadline) {
				long start = System.nanoTime();
				if (this.index >= this.schedule.threadsAt(start - this.windowStart)) {
					if (!idleUntilNextPhase(start)) {
						return;
					}
					continue;
				}
				try {
					long acquired = select ? selectOne(p) : mixed(p);
					long end = System.nanoTime();
					this.timeline.record(end - this.windowStart, true);
					synchronized (this) {
						if (start < this.windowStart) {
							this.warmupOk++;
						}
						else if (end <= this.deadline) {
							this.ok++;
							this.latency.recordValue(Math.min(HIGHEST_MICROS, (end - start) / 1000));
							this.acquire.recordValue(Math.min(HIGHEST_MICROS, (acquired - start) / 1000));
						}
						else {
							this.late++;
						}
					}
				}
				catch (SQLException | RuntimeException ex) {
					String key = classify(ex);
					this.timeline.record(System.nanoTime() - this.windowStart, false);
					this.errors.merge(key, 1L, Long::sum);
					this.samples.putIfAbsent(key, message(ex));
					long pause = Math.min(p.getErrorPause().toNanos(), this.deadline - System.nanoTime());
					if (pause > 0) {
						try {
							TimeUnit.NANOSECONDS.sleep(pause);
						}
						catch (InterruptedException interrupted) {
							Thread.currentThread().interrupt();
							return;
						}
					}
				}
			}
		}

		/** Sleeps until the phase running at {@code now} ends, or the deadline; false when interrupted. */
		private boolean idleUntilNextPhase(long now) {
			long until = Math.min(this.deadline, this.windowStart + this.schedule.endOfPhaseAt(now - this.windowStart));
			try {
				TimeUnit.NANOSECONDS.sleep(Math.max(1, until - now));
				return true;
			}
			catch (InterruptedException interrupted) {
				Thread.currentThread().interrupt();
				return false;
			}
		}

		/**
		 * A read and a write in one transaction, with a pause of 1-20 ms before the commit, in
		 * the SQL of the configured dialect.
		 */
		private long mixed(WorkloadProperties p) throws SQLException {
			ThreadLocalRandom random = ThreadLocalRandom.current();
			try (Connection connection = Workload.this.dataSource.getConnection()) {
				long acquired = System.nanoTime();
				connection.setAutoCommit(false);
				try {
					try (PreparedStatement read = connection
						.prepareStatement("SELECT name, price FROM fleet_item WHERE id = ?")) {
						read.setInt(1, random.nextInt(1, p.getItems() + 1));
						try (ResultSet rows = read.executeQuery()) {
							rows.next();
						}
					}
					try (PreparedStatement write = connection.prepareStatement(p.getDialect().update())) {
						write.setInt(1, random.nextInt(-100, 101));
						write.setInt(2, random.nextInt(1, p.getAccounts() + 1));
						write.executeUpdate();
					}
					try (PreparedStatement sleep = connection.prepareStatement(p.getDialect().sleep())) {
						sleep.setDouble(1, random.nextInt(p.getSleepMinMs(), p.getSleepMaxMs() + 1) / 1000.0);
						try (ResultSet rows = sleep.executeQuery()) {
							rows.next();
						}
					}
					connection.commit();
				}
				catch (SQLException | RuntimeException ex) {
					try {
						connection.rollback();
					}
					catch (SQLException rollbackFailure) {
						ex.addSuppressed(rollbackFailure);
					}
					throw ex;
				}
				return acquired;
			}
		}

		/** {@code pgbench -S}: one SELECT by primary key, autocommit. */
		private long selectOne(WorkloadProperties p) throws SQLException {
			try (Connection connection = Workload.this.dataSource.getConnection()) {
				long acquired = System.nanoTime();
				try (PreparedStatement read = connection
					.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?")) {
					read.setInt(1, ThreadLocalRandom.current().nextInt(1, p.getPgbenchAccounts() + 1));
					try (ResultSet rows = read.executeQuery()) {
						rows.next();
					}
				}
				return acquired;
			}
		}

	}

	/** Reads the pool's counters four times a second during the window. */
	private static final class PoolWatcher implements Runnable {

		private final HikariDataSource hikari;

		private final Thread thread = new Thread(this, "pool-watcher");

		private volatile boolean running = true;

		private volatile int peakTotal;

		private volatile int peakActive;

		private volatile int peakWaiting;

		private volatile int lowestTotal = -1;

		private final AtomicInteger samples = new AtomicInteger();

		PoolWatcher(HikariDataSource hikari) {
			this.hikari = hikari;
			this.thread.setDaemon(true);
		}

		void start() {
			if (this.hikari != null) {
				this.thread.start();
			}
		}

		void stop() throws InterruptedException {
			this.running = false;
			if (this.hikari != null) {
				this.thread.join(Duration.ofSeconds(2).toMillis());
			}
		}

		@Override
		public void run() {
			while (this.running) {
				HikariPoolMXBean pool = this.hikari.getHikariPoolMXBean();
				if (pool != null) {
					int total = pool.getTotalConnections();
					this.peakTotal = Math.max(this.peakTotal, total);
					this.peakActive = Math.max(this.peakActive, pool.getActiveConnections());
					this.peakWaiting = Math.max(this.peakWaiting, pool.getThreadsAwaitingConnection());
					if (this.samples.incrementAndGet() > 4) {
						this.lowestTotal = (this.lowestTotal < 0) ? total : Math.min(this.lowestTotal, total);
					}
				}
				try {
					Thread.sleep(250);
				}
				catch (InterruptedException ex) {
					return;
				}
			}
		}

	}

}
