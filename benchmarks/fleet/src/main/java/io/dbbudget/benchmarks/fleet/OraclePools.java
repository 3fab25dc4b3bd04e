package io.dbbudget.benchmarks.fleet;

import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The "oracle" of the moving-load benchmark: someone who knows each phase's load and sets the
 * pool by hand at the phase's start ({@code fleet.phases[i].pool-size}). A shrink applies at
 * once (idle connections close now, busy ones when returned); a growth waits
 * {@code fleet.oracle-grow-delay}, so that the instance that shrinks at the same moment has
 * given its connections back first, as a careful operator would do.
 *
 * @author db-budget team
 */
final class OraclePools implements Runnable {

	private static final Log logger = LogFactory.getLog(OraclePools.class);

	private final HikariDataSource hikari;

	private final Schedule schedule;

	private final long windowStartNanos;

	private final long growDelayNanos;

	private final Thread thread = new Thread(this, "oracle-pools");

	OraclePools(HikariDataSource hikari, Schedule schedule, long windowStartNanos, long growDelayNanos) {
		this.hikari = hikari;
		this.schedule = schedule;
		this.windowStartNanos = windowStartNanos;
		this.growDelayNanos = growDelayNanos;
		this.thread.setDaemon(true);
	}

	void start() {
		this.thread.start();
	}

	void stop() {
		this.thread.interrupt();
	}

	@Override
	public void run() {
		try {
			for (int phase = 0; phase < this.schedule.phases(); phase++) {
				Integer size = this.schedule.poolSize(phase);
				if (size == null) {
					continue;
				}
				sleepUntil(this.windowStartNanos + this.schedule.startOf(phase));
				HikariConfigMXBean config = this.hikari.getHikariConfigMXBean();
				if (size < config.getMaximumPoolSize()) {
					config.setMinimumIdle(size);
					config.setMaximumPoolSize(size);
					HikariPoolMXBean pool = this.hikari.getHikariPoolMXBean();
					if (pool != null) {
						// Lowering the maximum closes nothing by itself
						pool.softEvictConnections();
					}
				}
				else if (size > config.getMaximumPoolSize()) {
					TimeUnit.NANOSECONDS.sleep(this.growDelayNanos);
					config.setMaximumPoolSize(size);
					config.setMinimumIdle(size);
				}
				logger.info("fleet: oracle pool " + size + " for phase " + phase);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void sleepUntil(long nanoTime) throws InterruptedException {
		long left = nanoTime - System.nanoTime();
		if (left > 0) {
			TimeUnit.NANOSECONDS.sleep(left);
		}
	}

}
