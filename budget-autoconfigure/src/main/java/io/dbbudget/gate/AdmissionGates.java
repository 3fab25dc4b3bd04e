package io.dbbudget.gate;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * The admission gates of this instance's pools, by pool bean name, for the endpoint and the
 * metrics to read.
 *
 * @author db-budget team
 */
public final class AdmissionGates {

	private final Map<String, AdmissionGate> gates = new ConcurrentHashMap<>();

	/**
	 * Records a pool's gate.
	 * @param pool the pool's bean name
	 * @param gate its gate
	 */
	public void register(String pool, AdmissionGate gate) {
		this.gates.put(pool, gate);
	}

	/**
	 * A pool's gate.
	 * @param pool the pool's bean name
	 * @return its gate, or {@code null} if it has none
	 */
	public @Nullable AdmissionGate get(String pool) {
		return this.gates.get(pool);
	}

	/**
	 * Every gate.
	 * @return the gates, by pool bean name
	 */
	public Map<String, AdmissionGate> getAll() {
		return Map.copyOf(this.gates);
	}

}
