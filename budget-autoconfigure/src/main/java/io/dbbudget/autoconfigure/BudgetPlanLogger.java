package io.dbbudget.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import io.dbbudget.advisor.Advice;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.retry.RetrySettings;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Logs the budget plan once every pool has been sized, with the server advisor's advice, if
 * any, one line each and one warning in all.
 *
 * @author db-budget team
 */
class BudgetPlanLogger implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(BudgetPlanLogger.class);

	private final BudgetedPools budgetedPools;

	private final @Nullable RetrySettings retrySettings;

	private final ObjectProvider<PoolAdvisor> advisor;

	private final boolean admissionGate;

	BudgetPlanLogger(BudgetedPools budgetedPools, @Nullable RetrySettings retrySettings,
			ObjectProvider<PoolAdvisor> advisor, boolean admissionGate) {
		this.budgetedPools = budgetedPools;
		this.retrySettings = retrySettings;
		this.advisor = advisor;
		this.admissionGate = admissionGate;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (this.budgetedPools.getPools().isEmpty()) {
			return;
		}
		StringBuilder plan = new StringBuilder(this.budgetedPools.describe());
		if (this.retrySettings == null) {
			plan.append("\n  retry off (db.budget.retry.enabled=false)");
		}
		else {
			plan.append("\n  retry ").append(this.retrySettings.describe());
			for (BudgetedPool pool : this.budgetedPools.getPools()) {
				Duration connectionTimeout = Duration.ofMillis(pool.dataSource().getConnectionTimeout());
				plan.append("\n  pool '").append(pool.name()).append("': a caller waits at most ")
					.append(seconds(this.retrySettings.longestWait(connectionTimeout)))
					.append(" for a connection (")
					.append(seconds(connectionTimeout))
					.append(" connection-timeout per attempt)");
			}
		}
		PoolAdvisor advisor = this.advisor.getIfAvailable();
		List<Advice> advice = (advisor != null) ? advisor.startupAdvice() : List.of();
		List<Advice> conflicts = advice.stream().filter((item) -> item.level() == Advice.Level.CONFLICT).toList();
		for (Advice item : conflicts) {
			plan.append("\n  advice: ").append(item.describe());
		}
		List<String> hardening = advice.stream()
			.filter((item) -> item.level() == Advice.Level.HARDENING)
			.map(Advice::check)
			.toList();
		if (!hardening.isEmpty()) {
			plan.append("\n  hardening the server could use: ").append(String.join(", ", hardening))
				.append(" (under 'advice' on the dbconnections endpoint; db.budget.advisor.ignore silences them)");
		}
		plan.append(this.admissionGate
				? "\n  admission gate on: callers beyond twice a pool's maximum wait parked in front of it "
						+ "(db.budget.admission.enabled=false turns it off)"
				: "\n  admission gate off (db.budget.admission.enabled=false)");
		logger.info(plan);
		if (!conflicts.isEmpty()) {
			logger.warn("db-budget: " + conflicts.size() + ((conflicts.size() == 1) ? " setting puts" : " settings put")
					+ " the connection budget at risk ("
					+ conflicts.stream().map(Advice::setting).distinct().collect(Collectors.joining("; "))
					+ "): see the advice in the plan above, and under 'advice' on the dbconnections endpoint");
		}
	}

	private static String seconds(Duration duration) {
		return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
	}

}
