package com.example.orders;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * An ordinary "orders" service: a start-up query, then {@code orders.threads} workers doing
 * back-to-back transactions for {@code orders.window}. Prints one RESULT line and exits 0 only
 * if nothing failed. With {@code orders.go-file} set, the window starts when that file appears
 * (so that a fleet's windows coincide).
 */
@SpringBootApplication
public class OrdersApplication implements CommandLineRunner, ExitCodeGenerator {

	private static final Logger log = LoggerFactory.getLogger(OrdersApplication.class);

	private final JdbcTemplate jdbc;
	private final TransactionTemplate tx;
	private final int instance;
	private final int threads;
	private final Duration window;
	private final String goFile;
	private int exitCode = 1;

	OrdersApplication(JdbcTemplate jdbc, PlatformTransactionManager transactionManager,
			@Value("${orders.instance}") int instance, @Value("${orders.threads}") int threads,
			@Value("${orders.window}") Duration window, @Value("${orders.go-file:}") String goFile) {
		this.jdbc = jdbc;
		this.tx = new TransactionTemplate(transactionManager);
		this.instance = instance;
		this.threads = threads;
		this.window = window;
		this.goFile = goFile;
	}

	public static void main(String[] args) {
		System.exit(SpringApplication.exit(SpringApplication.run(OrdersApplication.class, args)));
	}

	@Override
	public void run(String... args) throws InterruptedException {
		Map<String, LongAdder> errors = new ConcurrentSkipListMap<>();
		try {
			this.jdbc.queryForObject("SELECT 1", Integer.class); // as Flyway would at start
		}
		catch (RuntimeException ex) {
			log.error("instance failed to start: SQLSTATE {}: {}", sqlState(ex), ex.getMessage());
			count(errors, ex);
			report(false, 0, 0, errors);
			return;
		}
		awaitGo();
		LongAdder ok = new LongAdder();
		long start = System.nanoTime();
		long end = start + this.window.toNanos();
		ExecutorService workers = Executors.newFixedThreadPool(this.threads);
		for (int i = 0; i < this.threads; i++) {
			workers.execute(() -> {
				while (System.nanoTime() < end) {
					try {
						this.tx.executeWithoutResult((status) -> transaction());
						ok.increment();
					}
					catch (RuntimeException ex) {
						count(errors, ex);
					}
				}
			});
		}
		workers.shutdown();
		if (!workers.awaitTermination(this.window.toSeconds() + 120, TimeUnit.SECONDS)) {
			log.error("workers did not stop");
			errors.computeIfAbsent("workers-did-not-stop", (k) -> new LongAdder()).increment();
		}
		report(true, ok.sum(), (System.nanoTime() - start) / 1e9, errors);
	}

	private void awaitGo() throws InterruptedException {
		if (this.goFile.isEmpty()) {
			return;
		}
		System.out.println("READY instance=" + this.instance);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
		while (!Files.exists(Path.of(this.goFile)) && System.nanoTime() < deadline) {
			Thread.sleep(100);
		}
	}

	private void transaction() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		this.jdbc.queryForObject("SELECT name FROM fleet_item WHERE id = ?", String.class, random.nextInt(1, 101));
		this.jdbc.update("UPDATE fleet_account SET balance = balance + 1, updated_at = now() WHERE id = ?",
				random.nextInt(1, 10_001));
		this.jdbc.queryForList("SELECT pg_sleep(?)", random.nextInt(1, 21) / 1000.0);
	}

	private void report(boolean started, long ok, double seconds, Map<String, LongAdder> errors) {
		long failed = errors.values().stream().mapToLong(LongAdder::sum).sum();
		this.exitCode = (started && failed == 0) ? 0 : 1;
		System.out.printf("RESULT instance=%d started=%s ok=%d errors=%s seconds=%.1f tps=%.1f%n", this.instance,
				started, ok, errors, seconds, (seconds > 0) ? ok / seconds : 0.0);
	}

	/** Counts a failure under its SQLSTATE, logging the first one of each kind. */
	private static void count(Map<String, LongAdder> errors, Throwable ex) {
		String state = sqlState(ex);
		errors.computeIfAbsent(state, (key) -> {
			log.warn("first error with SQLSTATE {}", key, ex);
			return new LongAdder();
		}).increment();
	}

	private static String sqlState(Throwable ex) {
		for (Throwable t = ex; t != null; t = t.getCause()) {
			if (t instanceof SQLException sql && sql.getSQLState() != null) {
				return sql.getSQLState();
			}
		}
		return ex.getClass().getSimpleName();
	}

	@Override
	public int getExitCode() {
		return this.exitCode;
	}

}
