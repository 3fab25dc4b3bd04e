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
 * {@code db.budget.pools}.
 *
 * @author db-budget team
 */
final class PoolBeanNames {

	private PoolBeanNames() {
	}

	static Collection<String> find(ListableBeanFactory beanFactory, Collection<String> configuredPools) {
		List<String> dataSources = Arrays.asList(beanFactory.getBeanNamesForType(DataSource.class, true, false));
		for (String configured : configuredPools) {
			if (!dataSources.contains(configured)) {
				throw new InvalidBudgetException("db.budget.pools." + configured, configured,
						"there is no DataSource bean named '" + configured + "'; the DataSource beans are "
								+ dataSources,
						"Name a DataSource bean under db.budget.pools, or remove db.budget.pools." + configured + ".");
			}
		}
		Set<String> pools = new LinkedHashSet<>(
				Arrays.asList(beanFactory.getBeanNamesForType(HikariDataSource.class, true, false)));
		pools.addAll(configuredPools);
		return pools;
	}

}
