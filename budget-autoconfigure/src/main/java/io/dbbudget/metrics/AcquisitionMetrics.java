package io.dbbudget.metrics;

import io.dbbudget.retry.AcquisitionListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts retried and failed connection acquisitions: {@code db.budget.acquire.retries} and
 * {@code db.budget.acquire.failures}, tagged with the pool's bean name and the reason (the
 * SQLSTATE, {@code pool-timeout} or {@code other}).
 *
 * @author db-budget team
 */
public class AcquisitionMetrics implements AcquisitionListener {

	private final MeterRegistry registry;

	/**
	 * Create a new instance.
	 * @param registry where to count
	 */
	public AcquisitionMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onRetry(String pool, String reason) {
		count("db.budget.acquire.retries", "Connection acquisitions retried after a transient failure", pool, reason);
	}

	@Override
	public void onFailure(String pool, String reason) {
		count("db.budget.acquire.failures", "Connection acquisitions that failed for good", pool, reason);
	}

	private void count(String name, String description, String pool, String reason) {
		Counter.builder(name)
			.description(description)
			.tag("pool", pool)
			.tag("reason", reason)
			.register(this.registry)
			.increment();
	}

}
