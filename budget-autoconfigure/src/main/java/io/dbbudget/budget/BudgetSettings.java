package io.dbbudget.budget;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * What the fleet's configuration says about the budget, checked for values that can never
 * work whatever the server says.
 *
 * @param maxConnections the configured server limit, or {@code null} to ask the server
 * @param reservedConnections connections kept free for everything outside this fleet
 * @param share fraction of the available connections this service's fleet may use, or
 * {@code null} for all of them
 * @param serviceConnections absolute number of connections for this service's fleet, or
 * {@code null} to use {@code share}
 * @param instances how many instances of this service run at once
 * @param minPoolSize the smallest useful pool
 * @param mode what to do with a pool that asks for more than its budget
 * @param weights pool weights by bean name; pools not listed weigh 1
 * @param coordinationConnections connections each instance keeps outside its pools for fleet
 * coordination, counted inside its share
 * @param joiners how many instances may join a coordinated fleet at once
 * @author db-budget team
 */
public record BudgetSettings(@Nullable Integer maxConnections, int reservedConnections, @Nullable Double share,
		@Nullable Integer serviceConnections, int instances, int minPoolSize, BudgetMode mode,
		Map<String, Integer> weights, int coordinationConnections, int joiners) {

	static final String PREFIX = "db.budget.";

	public BudgetSettings {
		if (maxConnections != null && maxConnections < 1) {
			throw invalid("max-connections", maxConnections, "a server needs at least one connection",
					"Remove db.budget.max-connections to read the limit from the server, or set it to the server's "
							+ "max_connections.");
		}
		if (reservedConnections < 0) {
			throw invalid("reserved-connections", reservedConnections, "reserved connections cannot be negative",
					"Set db.budget.reserved-connections to 0 or more.");
		}
		if (share != null && !(share > 0 && share <= 1)) {
			throw invalid("share", share, "the share is a fraction in (0, 1] of the available connections",
					"Set db.budget.share to a value above 0 and at most 1, for example 0.5 for half the available "
							+ "connections, or use db.budget.service-connections for an absolute number.");
		}
		if (serviceConnections != null && serviceConnections < 1) {
			throw invalid("service-connections", serviceConnections, "a service needs at least one connection",
					"Set db.budget.service-connections to 1 or more, or remove it to use db.budget.share.");
		}
		if (share != null && serviceConnections != null) {
			throw invalid("service-connections", serviceConnections,
					"db.budget.share (" + share + ") is set too, and service-connections replaces share",
					"Remove one of db.budget.share and db.budget.service-connections.");
		}
		if (instances < 1) {
			throw invalid("instances", instances, "at least one instance of the service runs",
					"Set db.budget.instances to the number of instances (processes, replicas) that run at once.");
		}
		if (minPoolSize < 1) {
			throw invalid("min-pool-size", minPoolSize, "a pool needs at least one connection",
					"Set db.budget.min-pool-size to 1 or more.");
		}
		if (joiners < 1) {
			throw invalid("coordination.joiners", joiners, "room is kept for at least one joining instance",
					"Set db.budget.coordination.joiners to the most instances that start at once, 1 or more.");
		}
		weights.forEach((pool, weight) -> {
			if (weight == null || weight < 1) {
				throw invalid("pools." + pool + ".weight", weight, "a weight is a whole number of 1 or more",
						"Set db.budget.pools." + pool + ".weight to 1 or more; pools split the instance's share "
								+ "in proportion to their weights.");
			}
		});
		weights = new LinkedHashMap<>(weights);
	}

	public BudgetSettings(@Nullable Integer maxConnections, int reservedConnections, @Nullable Double share,
			@Nullable Integer serviceConnections, int instances, int minPoolSize, BudgetMode mode,
			Map<String, Integer> weights) {
		this(maxConnections, reservedConnections, share, serviceConnections, instances, minPoolSize, mode, weights, 0, 1);
	}

	/**
	 * The same settings for another number of instances, as counted by fleet coordination.
	 * @param instances how many instances run now
	 * @return the settings
	 */
	public BudgetSettings withInstances(int instances) {
		return new BudgetSettings(this.maxConnections, this.reservedConnections, this.share, this.serviceConnections,
				instances, this.minPoolSize, this.mode, this.weights, this.coordinationConnections, this.joiners);
	}

	/**
	 * The weight of a pool.
	 * @param pool the pool's bean name
	 * @return its configured weight, or 1
	 */
	public int weight(String pool) {
		return this.weights.getOrDefault(pool, 1);
	}

	static InvalidBudgetException invalid(String property, @Nullable Object value, String reason, String action) {
		String text = (value instanceof Double number)
				? BigDecimal.valueOf(number).stripTrailingZeros().toPlainString() : String.valueOf(value);
		return new InvalidBudgetException(PREFIX + property, text, reason, action);
	}

}
