package io.dbbudget.fleet;

import java.time.Duration;

/**
 * How an instance counts its fleet.
 *
 * @param group the group the fleet's instances join: one per service
 * @param heartbeat how often the members are counted
 * @param demandAware whether members share the fleet's connections by demand rather than
 * equally
 * @author db-budget team
 */
public record FleetSettings(String group, Duration heartbeat, boolean demandAware) {

	/**
	 * The same settings with equal shares.
	 * @return the settings
	 */
	public FleetSettings withEqualShares() {
		return new FleetSettings(this.group, this.heartbeat, false);
	}

}
