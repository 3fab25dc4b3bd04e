package io.dbbudget.budget;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What one server's own settings replace in the fleet's settings. The server is named by one
 * of the pools that reach it; what is not set is inherited.
 *
 * @param pool the bean name of a pool on the server
 * @param maxConnections the server's limit, or {@code null} to inherit
 * @param reservedConnections connections kept free on the server, or {@code null} to inherit
 * @param share the service's share of the server, or {@code null} to inherit
 * @param serviceConnections the service's connections on the server, or {@code null} to
 * inherit
 * @author db-budget team
 */
public record ServerOverrides(String pool, @Nullable Integer maxConnections, @Nullable Integer reservedConnections,
		@Nullable Double share, @Nullable Integer serviceConnections) {

	/**
	 * Whether these settings replace nothing.
	 * @return whether every value is inherited
	 */
	public boolean isEmpty() {
		return this.maxConnections == null && this.reservedConnections == null && this.share == null
				&& this.serviceConnections == null;
	}

	/**
	 * Whether two servers' settings set the same values.
	 * @param other the other settings
	 * @return whether they agree, whatever pools name them
	 */
	public boolean sameValues(ServerOverrides other) {
		return Objects.equals(this.maxConnections, other.maxConnections)
				&& Objects.equals(this.reservedConnections, other.reservedConnections)
				&& Objects.equals(this.share, other.share)
				&& Objects.equals(this.serviceConnections, other.serviceConnections);
	}

}
