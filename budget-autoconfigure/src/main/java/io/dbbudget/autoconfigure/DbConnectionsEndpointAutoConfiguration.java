package io.dbbudget.autoconfigure;

import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint;
import io.dbbudget.actuate.endpoint.DbConnectionsEndpointWebExtension;
import io.dbbudget.gate.AdmissionGates;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.retry.RetrySettings;
import io.dbbudget.server.ConnectionSource;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.UtilizationThresholds;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration for the {@link DbConnectionsEndpoint}.
 *
 * @author db-budget team
 */
@AutoConfiguration(after = DbBudgetServerActivityAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
@ConditionalOnBean(ServerActivityMonitor.class)
@ConditionalOnAvailableEndpoint(DbConnectionsEndpoint.class)
public final class DbConnectionsEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	DbConnectionsEndpoint dbConnectionsEndpoint(BudgetedPools budgetedPools, ServerActivityMonitor monitor,
			ConnectionSource connections, UtilizationThresholds thresholds, DbBudgetProperties properties,
			ObjectProvider<RetrySettings> retrySettings, ObjectProvider<PoolAdvisor> advisor,
			ObjectProvider<AdmissionGates> admissionGates) {
		return new DbConnectionsEndpoint(budgetedPools, monitor, connections, thresholds,
				properties.getIdleSessionAge(), retrySettings.getIfAvailable(), advisor.getIfAvailable(),
				admissionGates.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(DbConnectionsEndpoint.class)
	@ConditionalOnAvailableEndpoint(exposure = EndpointExposure.WEB)
	DbConnectionsEndpointWebExtension dbConnectionsEndpointWebExtension(DbConnectionsEndpoint endpoint) {
		return new DbConnectionsEndpointWebExtension(endpoint);
	}

}
