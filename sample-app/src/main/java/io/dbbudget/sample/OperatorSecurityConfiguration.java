package io.dbbudget.sample;

import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint;

import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Only operators may close connections: the {@code dbconnections} endpoint's POST and DELETE
 * operations need the {@value #OPERATOR} role, over HTTP basic authentication. The operator's
 * credentials are {@code spring.security.user.*} in {@code application.yml}. Everything else,
 * the endpoint's status included, stays open.
 *
 * @author db-budget team
 */
@Configuration(proxyBeanMethods = false)
class OperatorSecurityConfiguration {

	static final String OPERATOR = "OPERATOR";

	@Bean
	SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
		http.authorizeHttpRequests((requests) -> requests
			.requestMatchers(EndpointRequest.to(DbConnectionsEndpoint.class).withHttpMethod(HttpMethod.POST))
			.hasRole(OPERATOR)
			.requestMatchers(EndpointRequest.to(DbConnectionsEndpoint.class).withHttpMethod(HttpMethod.DELETE))
			.hasRole(OPERATOR)
			.anyRequest()
			.permitAll())
			.httpBasic(Customizer.withDefaults())
			// An API without browser sessions: each request carries its own credentials, so
			// there is no session cookie for a forged cross-site request to ride on
			.sessionManagement((sessions) -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.csrf(AbstractHttpConfigurer::disable);
		return http.build();
	}

}
