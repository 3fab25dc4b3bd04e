package io.dbbudget.autoconfigure;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.InvalidBudgetException;

import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Finds the pools that share this instance's budget before any of them is created: every bean
 * declared as a {@link HikariDataSource}, and every DataSource named under
 * {@code db.budget.pools}. The DataSources named under {@code db.budget.servers} must exist
 * too.
 *
 * @author db-budget team
 */
final class PoolBeanNames {

	private PoolBeanNames() {
	}

	static Collection<String> find(ListableBeanFactory beanFactory, Collection<String> configuredPools,
			Collection<String> configuredServers) {
		List<String> dataSources = Arrays.asList(beanFactory.getBeanNamesForType(DataSource.class, true, false));
		requireDataSources("db.budget.pools", configuredPools, dataSources);
		requireDataSources("db.budget.servers", configuredServers, dataSources);
		Set<String> pools = new LinkedHashSet<>(
				Arrays.asList(beanFactory.getBeanNamesForType(HikariDataSource.class, true, false)));
		pools.addAll(configuredPools);
		return pools;
	}

	private static void requireDataSources(String prefix, Collection<String> configured, List<String> dataSources) {
		for (String name : configured) {
			if (!dataSources.contains(name)) {
				throw new InvalidBudgetException(prefix + "." + name, name,
						"there is no DataSource bean named '" + name + "'; the DataSource beans are " + dataSources,
						"Name a DataSource bean under " + prefix + ", or remove " + prefix + "." + name + ".");
			}
		}
	}

}
