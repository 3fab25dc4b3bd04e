package io.dbbudget.pool;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.scheduling.BackgroundScheduler;

/**
 * This instance's demand for connections: the peak, between two heartbeats, of connections in
 * use plus callers waiting for one (in Hikari or at the admission gate), over all its pools. Hikari's counters are read several
 * times per heartbeat, which costs no connection and no lock.
 * <p>
 * What is published is the larger of the last two peaks, so that a member whose load pauses
 * for one heartbeat does not give its connections away and take them back at the next.
 *
 * @author db-budget team
 */
final class DemandSampler implements AutoCloseable {

	private static final int SAMPLES_PER_HEARTBEAT = 10;

	private static final Duration SHORTEST_INTERVAL = Duration.ofMillis(20);

	private final Supplier<List<BudgetedPool>> pools;

	private final ToIntFunction<String> waitingInFront;

	private final AtomicInteger peak = new AtomicInteger();

	private final ScheduledExecutorService executor = BackgroundScheduler.create("db-budget-demand");

	// Read and written by the heartbeat thread only
	private int previousPeak;

	DemandSampler(Supplier<List<BudgetedPool>> pools, ToIntFunction<String> waitingInFront) {
		this.pools = pools;
		this.waitingInFront = waitingInFront;
	}

	void start(Duration heartbeat) {
		Duration interval = heartbeat.dividedBy(SAMPLES_PER_HEARTBEAT);
		long millis = Math.max(SHORTEST_INTERVAL.toMillis(), interval.toMillis());
		this.executor.scheduleAtFixedRate(BackgroundScheduler.guarded("sampling demand", this::sample), millis, millis,
				TimeUnit.MILLISECONDS);
	}

	void sample() {
		int demand = 0;
		for (BudgetedPool pool : this.pools.get()) {
			PoolActivity activity = PoolActivity.of(pool.dataSource());
			demand += activity.active() + activity.pending() + this.waitingInFront.applyAsInt(pool.name());
		}
		this.peak.accumulateAndGet(demand, Math::max);
	}

	/**
	 * The demand to publish, and the start of a new peak.
	 * @return the larger of this heartbeat's peak and the last one's
	 */
	int take() {
		sample();
		int current = this.peak.getAndSet(0);
		int published = Math.max(current, this.previousPeak);
		this.previousPeak = current;
		return published;
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
