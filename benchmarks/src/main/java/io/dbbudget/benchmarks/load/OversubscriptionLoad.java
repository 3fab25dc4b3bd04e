package io.dbbudget.benchmarks.load;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.retry.AcquisitionListener;
import io.dbbudget.retry.RetrySettings;
import io.dbbudget.retry.RetryingDataSource;

/**
 * One load run: N threads, each in a loop of {@code getConnection()}, one primary-key
 * {@code SELECT} on {@code pgbench_accounts}, {@code close()}, through either the plain
 * Hikari pool ({@code plain}) or the starter's DataSource around the same kind of pool
 * ({@code starter}: retry with the starter's defaults and the admission gate;
 * {@code starter-no-gate}: the same with {@code db.budget.admission.enabled=false}). Prints one
 * JSON line: transactions per second, latency percentiles of whole transactions, errors, and
 * the longest single wait for a connection next to the bound a caller may wait.
 * <p>
 * Arguments: {@code config threads poolSize warmupSeconds seconds}. The database comes from
 * {@code DB_BUDGET_BENCH_URL} and {@code DB_BUDGET_BENCH_USER}; {@code pgbench -i} must have
 * filled it ({@code pgbench_accounts} with 100,000 rows per scale unit).
 *
 * @author db-budget team
 */
public final class OversubscriptionLoad {

	private OversubscriptionLoad() {
	}

	public static void main(String[] args) throws Exception {
		String config = args[0];
		int threads = Integer.parseInt(args[1]);
		int poolSize = Integer.parseInt(args[2]);
		Duration warmup = Duration.ofSeconds(Long.parseLong(args[3]));
		Duration measured = Duration.ofSeconds(Long.parseLong(args[4]));
		HikariConfig hikari = new HikariConfig();
		hikari.setJdbcUrl(env("DB_BUDGET_BENCH_URL", "jdbc:postgresql://127.0.0.1:5432/postgres"));
		hikari.setUsername(env("DB_BUDGET_BENCH_USER", "postgres"));
		hikari.setMaximumPoolSize(poolSize);
		hikari.setMinimumIdle(poolSize);
		hikari.setPoolName(config);
		try (HikariDataSource pool = new HikariDataSource(hikari)) {
			DataSource dataSource = switch (config) {
				case "plain" -> pool;
				case "starter-no-gate" -> new RetryingDataSource(pool, config,
						new RetrySettings(5, Duration.ofMillis(500), 2.0, Duration.ofSeconds(30), true),
						Duration.ofMillis(pool.getConnectionTimeout()), AcquisitionListener.NONE);
				case "starter" -> new RetryingDataSource(pool, config,
						new RetrySettings(5, Duration.ofMillis(500), 2.0, Duration.ofSeconds(30), true),
						Duration.ofMillis(pool.getConnectionTimeout()), AcquisitionListener.NONE,
						new AdmissionGate(pool));
				default -> throw new IllegalArgumentException("config is plain, starter or starter-no-gate, not " + config);
			};
			Duration bound = (dataSource instanceof RetryingDataSource retrying) ? retrying.getLongestWait()
					: Duration.ofMillis(pool.getConnectionTimeout());
			int accounts = countAccounts(pool);
			System.out.println(run(dataSource, threads, accounts, warmup, measured).json(config, threads, poolSize,
					bound));
		}
	}

	private static Result run(DataSource dataSource, int threads, int accounts, Duration warmup, Duration measured)
			throws InterruptedException {
		long start = System.nanoTime() + warmup.toNanos();
		long end = start + measured.toNanos();
		AtomicLong errors = new AtomicLong();
		AtomicLong longestAcquire = new AtomicLong();
		List<long[]> latencies = new ArrayList<>();
		int[] counts = new int[threads];
		CountDownLatch done = new CountDownLatch(threads);
		List<Thread> workers = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			long[] mine = new long[1 << 10];
			latencies.add(mine);
			int index = t;
			workers.add(new Thread(() -> {
				long[] samples = mine;
				int n = 0;
				try {
					ThreadLocalRandom random = ThreadLocalRandom.current();
					for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
						try {
							long acquired;
							try (Connection connection = dataSource.getConnection()) {
								acquired = System.nanoTime();
								try (PreparedStatement select = connection
									.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?")) {
									select.setInt(1, 1 + random.nextInt(accounts));
									try (ResultSet rows = select.executeQuery()) {
										rows.next();
									}
								}
							}
							long finished = System.nanoTime();
							if (now >= start) {
								longestAcquire.accumulateAndGet(acquired - now, Math::max);
								if (n == samples.length) {
									samples = Arrays.copyOf(samples, n * 2);
									latencies.set(index, samples);
								}
								samples[n++] = finished - now;
							}
						}
						catch (SQLException ex) {
							if (now >= start) {
								errors.incrementAndGet();
							}
						}
					}
				}
				finally {
					counts[index] = n;
					done.countDown();
				}
			}, "load-" + t));
		}
		workers.forEach(Thread::start);
		done.await();
		int total = Arrays.stream(counts).sum();
		long[] all = new long[total];
		int offset = 0;
		for (int t = 0; t < threads; t++) {
			System.arraycopy(latencies.get(t), 0, all, offset, counts[t]);
			offset += counts[t];
		}
		Arrays.sort(all);
		return new Result(total / (measured.toNanos() / 1e9), percentile(all, 0.50), percentile(all, 0.99),
				(all.length > 0) ? all[all.length - 1] : 0, errors.get(), longestAcquire.get());
	}

	private static long percentile(long[] sorted, double p) {
		return (sorted.length == 0) ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
	}

	private static int countAccounts(DataSource dataSource) throws SQLException {
		try (Connection connection = dataSource.getConnection();
				ResultSet rows = connection.createStatement().executeQuery("SELECT count(*) FROM pgbench_accounts")) {
			rows.next();
			return rows.getInt(1);
		}
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value == null || value.isEmpty()) ? fallback : value;
	}

	private record Result(double txPerSecond, long p50Nanos, long p99Nanos, long maxNanos, long errors,
			long longestAcquireNanos) {

		String json(String config, int threads, int poolSize, Duration bound) {
			return String.format(Locale.ROOT,
					"{\"config\":\"%s\",\"threads\":%d,\"pool\":%d,\"txPerSecond\":%.1f,\"p50Ms\":%.2f,"
							+ "\"p99Ms\":%.2f,\"maxMs\":%.2f,\"errors\":%d,\"longestAcquireMs\":%.2f,\"boundMs\":%d}",
					config, threads, poolSize, this.txPerSecond, this.p50Nanos / 1e6, this.p99Nanos / 1e6,
					this.maxNanos / 1e6, this.errors, this.longestAcquireNanos / 1e6, bound.toMillis());
		}

	}

}
