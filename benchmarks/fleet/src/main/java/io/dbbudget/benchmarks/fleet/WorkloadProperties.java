package io.dbbudget.benchmarks.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What one instance runs ({@code fleet.*}).
 *
 * @author db-budget team
 */
@ConfigurationProperties("fleet")
public class WorkloadProperties {

	/**
	 * {@code mixed}: a read, a write and a sleep of 1-20 ms in one transaction;
	 * {@code select}: one SELECT by primary key on pgbench_accounts in autocommit, like
	 * {@code pgbench -S}.
	 */
	private String mode = "mixed";

	/** The server's SQL for {@code mixed}: {@code postgresql} or {@code mariadb} (also MySQL). */
	private Dialect dialect = Dialect.POSTGRESQL;

	/** Client threads. */
	private int threads = 10;

	/** Length of the measured window. */
	private Duration duration = Duration.ofSeconds(20);

	/**
	 * Unmeasured run-in before the window, with the same threads and transactions (JIT,
	 * caches, pools that are still filling). Errors during it are counted all the same.
	 */
	private Duration warmup = Duration.ofSeconds(5);

	/**
	 * Before saying it is ready, an instance waits until its pool holds minimum-idle
	 * connections, for at most this long and no longer than 3 s without progress.
	 */
	private Duration fillTimeout = Duration.ofSeconds(20);

	/** How long the threads may take to finish after the window before the instance gives up on them. */
	private Duration grace = Duration.ofSeconds(20);

	/** Label of the configuration, copied into the result. */
	private String config = "unnamed";

	/** Number of this instance in the fleet, copied into the result and the file name. */
	private int instanceId = 1;

	/** Where to write {@code <id>.ready} and {@code <id>.json}. */
	private Path outDir = Path.of(".");

	/**
	 * The window starts when this file exists (so that every instance measures the same
	 * window); without it the window starts at once.
	 */
	private Path goFile;

	/**
	 * The start-up query waits until this file exists, so that the runner can bring the
	 * instances up one after another, each ready before the next; without it the query runs
	 * at once.
	 */
	private Path startFile;

	/** How long to wait for the start file or the go file before going on anyway. */
	private Duration goTimeout = Duration.ofSeconds(180);

	/** Pause of a client thread after a failed transaction, so that a failing pool is not hammered. */
	private Duration errorPause = Duration.ofMillis(100);

	private int sleepMinMs = 1;

	private int sleepMaxMs = 20;

	/** Rows of fleet_item (the read). */
	private int items = 100;

	/** Rows of fleet_account (the write). */
	private int accounts = 10_000;

	/** Rows of pgbench_accounts (select mode), 100000 x scale. */
	private int pgbenchAccounts = 100_000;

	/**
	 * Phases of the window, one after the other, each with its own number of client threads
	 * (and, for the oracle, its own pool size). When set, they replace {@code threads} and
	 * {@code duration}: the window lasts as long as the phases together.
	 */
	private List<Phase> phases = new ArrayList<>();

	/**
	 * How long the oracle waits after a phase starts before it grows its pool, so that the
	 * instances that shrink at the same moment have given their connections back.
	 */
	private Duration oracleGrowDelay = Duration.ofMillis(250);

	public String getMode() {
		return this.mode;
	}

	public void setMode(String mode) {
		this.mode = mode;
	}

	public Dialect getDialect() {
		return this.dialect;
	}

	public void setDialect(Dialect dialect) {
		this.dialect = dialect;
	}

	public int getThreads() {
		return this.threads;
	}

	public void setThreads(int threads) {
		this.threads = threads;
	}

	public Duration getDuration() {
		return this.duration;
	}

	public void setDuration(Duration duration) {
		this.duration = duration;
	}

	public Duration getWarmup() {
		return this.warmup;
	}

	public void setWarmup(Duration warmup) {
		this.warmup = warmup;
	}

	public Duration getFillTimeout() {
		return this.fillTimeout;
	}

	public void setFillTimeout(Duration fillTimeout) {
		this.fillTimeout = fillTimeout;
	}

	public Duration getGrace() {
		return this.grace;
	}

	public void setGrace(Duration grace) {
		this.grace = grace;
	}

	public String getConfig() {
		return this.config;
	}

	public void setConfig(String config) {
		this.config = config;
	}

	public int getInstanceId() {
		return this.instanceId;
	}

	public void setInstanceId(int instanceId) {
		this.instanceId = instanceId;
	}

	public Path getOutDir() {
		return this.outDir;
	}

	public void setOutDir(Path outDir) {
		this.outDir = outDir;
	}

	public Path getGoFile() {
		return this.goFile;
	}

	public void setGoFile(Path goFile) {
		this.goFile = goFile;
	}

	public Path getStartFile() {
		return this.startFile;
	}

	public void setStartFile(Path startFile) {
		this.startFile = startFile;
	}

	public Duration getGoTimeout() {
		return this.goTimeout;
	}

	public void setGoTimeout(Duration goTimeout) {
		this.goTimeout = goTimeout;
	}

	public Duration getErrorPause() {
		return this.errorPause;
	}

	public void setErrorPause(Duration errorPause) {
		this.errorPause = errorPause;
	}

	public int getSleepMinMs() {
		return this.sleepMinMs;
	}

	public void setSleepMinMs(int sleepMinMs) {
		this.sleepMinMs = sleepMinMs;
	}

	public int getSleepMaxMs() {
		return this.sleepMaxMs;
	}

	public void setSleepMaxMs(int sleepMaxMs) {
		this.sleepMaxMs = sleepMaxMs;
	}

	public int getItems() {
		return this.items;
	}

	public void setItems(int items) {
		this.items = items;
	}

	public int getAccounts() {
		return this.accounts;
	}

	public void setAccounts(int accounts) {
		this.accounts = accounts;
	}

	public int getPgbenchAccounts() {
		return this.pgbenchAccounts;
	}

	public void setPgbenchAccounts(int pgbenchAccounts) {
		this.pgbenchAccounts = pgbenchAccounts;
	}

	public List<Phase> getPhases() {
		return this.phases;
	}

	public void setPhases(List<Phase> phases) {
		this.phases = phases;
	}

	public Duration getOracleGrowDelay() {
		return this.oracleGrowDelay;
	}

	public void setOracleGrowDelay(Duration oracleGrowDelay) {
		this.oracleGrowDelay = oracleGrowDelay;
	}

	/**
	 * One phase of the window.
	 */
	public static class Phase {

		/** How long the phase lasts. */
		private Duration duration;

		/** Client threads that run transactions during the phase; the others wait. */
		private int threads;

		/**
		 * Pool size set by hand at the phase's start (the oracle); unset leaves the pool to
		 * its configuration (and to db-budget).
		 */
		private Integer poolSize;

		public Duration getDuration() {
			return this.duration;
		}

		public void setDuration(Duration duration) {
			this.duration = duration;
		}

		public int getThreads() {
			return this.threads;
		}

		public void setThreads(int threads) {
			this.threads = threads;
		}

		public Integer getPoolSize() {
			return this.poolSize;
		}

		public void setPoolSize(Integer poolSize) {
			this.poolSize = poolSize;
		}

	}

}
