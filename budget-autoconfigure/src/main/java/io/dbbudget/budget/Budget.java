package io.dbbudget.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * This instance's connection budget: how the server's limit becomes a number of connections
 * for each of its pools.
 *
 * <pre>
 * available      = usable server connections - reserved-connections
 * service budget = service-connections, or floor(available * share)
 * per instance   = floor((service budget - joiner headroom) / instances)
 * per pool       = floor(per instance * weight / total weight), at least min-pool-size
 * </pre>
 *
 * @param server the server's limits
 * @param reservedConnections connections kept free for everything outside this fleet
 * @param availableConnections connections this fleet and its neighbours may share
 * @param share the configured share, or {@code null} when not configured
 * @param serviceConnections connections for this service's whole fleet
 * @param serviceConnectionsConfigured whether {@code serviceConnections} was configured rather
 * than computed from the share
 * @param instances how many instances share the service budget
 * @param perInstance connections for this instance
 * @param coordinationConnections connections of this instance's share kept for fleet
 * coordination, outside its pools
 * @param minPoolSize the smallest useful pool
 * @param joinerHeadroom the connections kept free for instances joining the fleet: with fleet
 * coordination the members' shares add up to the service budget, so a new instance could not
 * connect before the others shrink. Each joiner first opens the connection that reads the
 * limits, its coordination connection and {@code min-pool-size} for each of its pools
 * @param mode what to do with a pool that asks for more than its budget
 * @param poolBudgets connections for each pool, by bean name
 * @param allocated whether {@code perInstance} is this instance's allocation in its fleet
 * rather than an equal split
 * @author db-budget team
 */
public record Budget(ServerLimits server, int reservedConnections, int availableConnections, @Nullable Double share,
		int serviceConnections, boolean serviceConnectionsConfigured, int instances, int perInstance,
		int coordinationConnections, int minPoolSize, int joinerHeadroom, BudgetMode mode,
		Map<String, Integer> poolBudgets, boolean allocated) {

	/**
	 * Computes the budget of this instance's pools.
	 * @param settings the fleet's settings
	 * @param server the server's limits
	 * @param pools the bean names of this instance's pools
	 * @return the budget
	 * @throws InvalidBudgetException if the settings cannot be met on this server
	 */
	public static Budget calculate(BudgetSettings settings, ServerLimits server, Collection<String> pools) {
		int usable = server.usableConnections();
		int reserved = settings.reservedConnections();
		int available = usable - reserved;
		if (available < 1) {
			String property = settings.property("reserved-connections");
			throw BudgetSettings.invalid(property, reserved,
					"it leaves no connections: " + describeUsable(server) + ", minus " + reserved
							+ " reserved-connections leaves " + available,
					"Set " + property + " below " + usable + ", or raise the server's limit.");
		}
		Integer configuredServiceConnections = settings.serviceConnections();
		int service;
		if (configuredServiceConnections != null) {
			if (configuredServiceConnections > available) {
				String property = settings.property("service-connections");
				throw BudgetSettings.invalid(property, configuredServiceConnections,
						"only " + available + " connections are available (" + describeUsable(server) + ", minus "
								+ reserved + " reserved-connections)",
						"Set " + property + " to " + available + " or less.");
			}
			service = configuredServiceConnections;
		}
		else {
			service = floor(available, (settings.share() != null) ? settings.share() : 1.0);
		}
		int headroom = (settings.coordinationConnections() > 0) ? settings.joiners()
				* (1 + settings.coordinationConnections() + settings.minPoolSize() * Math.max(1, pools.size())) : 0;
		int perInstance = (service - headroom) / settings.instances();
		Map<String, Integer> poolBudgets = splitByWeight(settings, pools, perInstance, service);
		return new Budget(server, reserved, available, settings.share(), service, configuredServiceConnections != null,
				settings.instances(), perInstance, settings.coordinationConnections(), settings.minPoolSize(), headroom,
				settings.mode(), poolBudgets, false);
	}

	/**
	 * The same budget with this instance's pools given their allocation in the fleet rather
	 * than an equal split.
	 * @param settings the fleet's settings, for the pool weights
	 * @param allocation the connections this instance's pools may hold in all, at least
	 * {@code min-pool-size} for each pool
	 * @return the budget
	 */
	public Budget withAllocation(BudgetSettings settings, int allocation) {
		int perInstance = allocation + this.coordinationConnections;
		Map<String, Integer> poolBudgets = splitByWeight(settings, this.poolBudgets.keySet(), perInstance,
				this.serviceConnections);
		return new Budget(this.server, this.reservedConnections, this.availableConnections, this.share,
				this.serviceConnections, this.serviceConnectionsConfigured, this.instances, perInstance,
				this.coordinationConnections, this.minPoolSize, this.joinerHeadroom, this.mode, poolBudgets, true);
	}

	/**
	 * The connections the pools of the whole fleet may hold: the service budget less the room
	 * kept for a joining instance and every member's coordination connections.
	 * @return the connections
	 */
	public int fleetPoolCapacity() {
		return this.serviceConnections - this.joinerHeadroom - this.instances * this.coordinationConnections;
	}

	private static Map<String, Integer> splitByWeight(BudgetSettings settings, Collection<String> pools,
			int perInstance, int service) {
		int minPoolSize = settings.minPoolSize();
		int forPools = perInstance - settings.coordinationConnections();
		if ((long) minPoolSize * pools.size() > forPools) {
			String pieces = (pools.size() == 1) ? "its pool" : "each of its " + pools.size() + " pools";
			throw BudgetSettings.invalid("min-pool-size", minPoolSize,
					"this instance's share is " + perInstance + " connections (" + service + " for the service / "
							+ settings.instances() + " instances"
							+ ((forPools < perInstance) ? ", less " + (perInstance - forPools) + " for fleet coordination"
									: "")
							+ "), too few to give " + pieces + " at least " + minPoolSize,
					"Lower db.budget.instances, raise " + settings.property("share") + " or "
							+ settings.property("service-connections") + ", lower "
							+ settings.property("reserved-connections")
							+ " or db.budget.min-pool-size, or raise the server's max_connections.");
		}
		int totalWeight = pools.stream().mapToInt(settings::weight).sum();
		Map<String, Integer> budgets = new LinkedHashMap<>();
		for (String pool : pools) {
			int weighted = (int) ((long) forPools * settings.weight(pool) / totalWeight);
			budgets.put(pool, Math.max(weighted, minPoolSize));
		}
		// Raising a light pool to min-pool-size may overshoot: take the excess from the largest
		int excess = budgets.values().stream().mapToInt(Integer::intValue).sum() - forPools;
		for (; excess > 0; excess--) {
			Map.Entry<String, Integer> largest = Collections.max(budgets.entrySet(), Map.Entry.comparingByValue());
			largest.setValue(largest.getValue() - 1);
		}
		return budgets;
	}

	private static int floor(int available, double share) {
		return BigDecimal.valueOf(available).multiply(BigDecimal.valueOf(share)).setScale(0, RoundingMode.FLOOR)
			.intValueExact();
	}

	/**
	 * The budget of one pool.
	 * @param pool the pool's bean name
	 * @return its budget, or {@code null} if the pool was not known when the budget was
	 * computed
	 */
	public @Nullable Integer poolBudget(String pool) {
		return this.poolBudgets.get(pool);
	}

	/**
	 * The arithmetic behind the budget, one step a line, for logs and failure analyses.
	 * @return the steps
	 */
	public List<String> arithmetic() {
		String serviceStep = this.serviceConnectionsConfigured
				? this.serviceConnections + " service-connections (configured)"
				: this.availableConnections + " x share " + ((this.share != null) ? this.share : 1.0) + " = "
						+ this.serviceConnections + " for this service";
		return List.of(
				describeUsable(this.server) + ", minus " + this.reservedConnections + " reserved-connections = "
						+ this.availableConnections + " available",
				serviceStep + ((this.joinerHeadroom > 0) ? ", minus " + this.joinerHeadroom + " kept for joining instances"
						: "") + ", " + (this.allocated ? this.instances + " instances share it as the fleet allots: "
								+ this.perInstance + " for this one" : "/ " + this.instances + " instances = "
										+ this.perInstance + " per instance")
						+ ((this.coordinationConnections > 0)
								? " (" + this.coordinationConnections + " for fleet coordination)" : ""));
	}

	private static String describeUsable(ServerLimits server) {
		StringBuilder text = new StringBuilder();
		text.append(server.maxConnections()).append(" max-connections");
		boolean pgBouncer = server.source() == ServerLimits.Source.PGBOUNCER;
		text.append(switch (server.source()) {
			case CONFIGURED -> " (configured)";
			case SERVER -> " (from the server)";
			case PGBOUNCER -> " (PgBouncer's max_client_conn)";
		});
		text.append(" - ").append(server.serverReservedConnections()).append(" server-reserved");
		if (server.databaseConnectionLimit() > ServerLimits.NO_LIMIT) {
			text.append(", database limit ").append(server.databaseConnectionLimit());
		}
		if (server.roleConnectionLimit() > ServerLimits.NO_LIMIT) {
			text.append(pgBouncer ? ", user limit " : ", role limit ")
				.append(server.roleConnectionLimit());
		}
		text.append(" = ").append(server.usableConnections()).append(" usable");
		return text.toString();
	}

}
