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
 * @param propertyNames the property that set a value, by its name under {@code db.budget.},
 * where a server's own settings replaced it
 * @author db-budget team
 */
public record BudgetSettings(@Nullable Integer maxConnections, int reservedConnections, @Nullable Double share,
		@Nullable Integer serviceConnections, int instances, int minPoolSize, BudgetMode mode,
		Map<String, Integer> weights, int coordinationConnections, int joiners, Map<String, String> propertyNames) {

	static final String PREFIX = "db.budget.";

	private static final String SERVERS = PREFIX + "servers.";

	public BudgetSettings {
		String maxConnectionsProperty = property(propertyNames, "max-connections");
		String reservedProperty = property(propertyNames, "reserved-connections");
		String shareProperty = property(propertyNames, "share");
		String serviceProperty = property(propertyNames, "service-connections");
		if (maxConnections != null && maxConnections < 1) {
			throw invalid(maxConnectionsProperty, maxConnections, "a server needs at least one connection",
					"Remove " + maxConnectionsProperty + " to read the limit from the server, or set it to the "
							+ "server's max_connections.");
		}
		if (reservedConnections < 0) {
			throw invalid(reservedProperty, reservedConnections, "reserved connections cannot be negative",
					"Set " + reservedProperty + " to 0 or more.");
		}
		if (share != null && !(share > 0 && share <= 1)) {
			throw invalid(shareProperty, share, "the share is a fraction in (0, 1] of the available connections",
					"Set " + shareProperty + " to a value above 0 and at most 1, for example 0.5 for half the "
							+ "available connections, or use " + serviceProperty + " for an absolute number.");
		}
		if (serviceConnections != null && serviceConnections < 1) {
			throw invalid(serviceProperty, serviceConnections, "a service needs at least one connection",
					"Set " + serviceProperty + " to 1 or more, or remove it to use " + shareProperty + ".");
		}
		if (share != null && serviceConnections != null) {
			throw invalid(serviceProperty, serviceConnections,
					shareProperty + " (" + share + ") is set too, and service-connections replaces share",
					"Remove one of " + shareProperty + " and " + serviceProperty + ".");
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
		propertyNames = Map.copyOf(propertyNames);
	}

	public BudgetSettings(@Nullable Integer maxConnections, int reservedConnections, @Nullable Double share,
			@Nullable Integer serviceConnections, int instances, int minPoolSize, BudgetMode mode,
			Map<String, Integer> weights, int coordinationConnections, int joiners) {
		this(maxConnections, reservedConnections, share, serviceConnections, instances, minPoolSize, mode, weights,
				coordinationConnections, joiners, Map.of());
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
				instances, this.minPoolSize, this.mode, this.weights, this.coordinationConnections, this.joiners,
				this.propertyNames);
	}

	/**
	 * These settings with what one server's own settings replace.
	 * @param server the server's settings
	 * @return the settings for that server's pools
	 * @throws InvalidBudgetException if a value the server's settings give can never work
	 */
	public BudgetSettings withServer(ServerOverrides server) {
		Map<String, String> names = new LinkedHashMap<>(this.propertyNames);
		String prefix = SERVERS + server.pool() + ".";
		Integer maxConnections = this.maxConnections;
		int reservedConnections = this.reservedConnections;
		Double share = this.share;
		Integer serviceConnections = this.serviceConnections;
		if (server.maxConnections() != null) {
			maxConnections = server.maxConnections();
			names.put("max-connections", prefix + "max-connections");
		}
		if (server.reservedConnections() != null) {
			reservedConnections = server.reservedConnections();
			names.put("reserved-connections", prefix + "reserved-connections");
		}
		if (server.share() != null) {
			// A server's own share replaces the service-connections it would inherit, and the
			// other way round
			share = server.share();
			serviceConnections = null;
			names.put("share", prefix + "share");
		}
		if (server.serviceConnections() != null) {
			serviceConnections = server.serviceConnections();
			share = null;
			names.put("service-connections", prefix + "service-connections");
		}
		return new BudgetSettings(maxConnections, reservedConnections, share, serviceConnections, this.instances,
				this.minPoolSize, this.mode, this.weights, this.coordinationConnections, this.joiners, names);
	}

	/**
	 * The full name of the property that set a value.
	 * @param name its name under {@code db.budget.}, such as {@code reserved-connections}
	 * @return the property, such as {@code db.budget.servers.replica.reserved-connections}
	 */
	public String property(String name) {
		return property(this.propertyNames, name);
	}

	private static String property(Map<String, String> propertyNames, String name) {
		return propertyNames.getOrDefault(name, PREFIX + name);
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
		return new InvalidBudgetException(property.startsWith(PREFIX) ? property : PREFIX + property, text, reason,
				action);
	}

}
