package io.dbbudget.metrics;

import java.util.concurrent.TimeUnit;

import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.gate.AdmissionGates;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@link MeterBinder} for each pool's admission gate, tagged with the pool's bean name:
 * {@code db.budget.acquire.waiting}, the callers waiting at the gate now (Hikari's
 * {@code hikaricp.connections.pending} counts only the callers inside the pool, so it reads 0
 * while the gate holds a queue), and {@code db.budget.acquire.wait}, the time callers spent
 * waiting at the gate (count and total, of the callers that had to wait).
 *
 * @author db-budget team
 */
public class AdmissionGateMetrics implements MeterBinder {

	private final AdmissionGates gates;

	/**
	 * Create a new instance.
	 * @param gates the gates of this instance's pools
	 */
	public AdmissionGateMetrics(AdmissionGates gates) {
		this.gates = gates;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.gates.getAll().forEach((pool, gate) -> {
			Gauge.builder("db.budget.acquire.waiting", gate, AdmissionGate::getWaiting)
				.tag("pool", pool)
				.description("Callers waiting at db-budget's admission gate for a connection")
				.register(registry);
			// Read from the gate's own sums on each scrape: the acquisition path records nothing
			FunctionTimer
				.builder("db.budget.acquire.wait", gate, AdmissionGate::getWaits,
						(waited) -> waited.getTotalWait().toNanos(), TimeUnit.NANOSECONDS)
				.tag("pool", pool)
				.description("Time callers waited at db-budget's admission gate, of those that had to wait")
				.register(registry);
		});
	}

}
