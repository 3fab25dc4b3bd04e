package io.dbbudget.actuate.endpoint;

import java.util.Map;
import java.util.function.Supplier;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * {@link EndpointWebExtension @EndpointWebExtension} for the {@link DbConnectionsEndpoint}:
 * answers an unknown operation with 400 and an unknown pool with 404, each with a message in
 * the body (error responses leave the message out by default).
 *
 * @author db-budget team
 */
@EndpointWebExtension(endpoint = DbConnectionsEndpoint.class)
public class DbConnectionsEndpointWebExtension {

	private final DbConnectionsEndpoint delegate;

	/**
	 * Create a new instance.
	 * @param delegate the endpoint
	 */
	public DbConnectionsEndpointWebExtension(DbConnectionsEndpoint delegate) {
		this.delegate = delegate;
	}

	/**
	 * Closes idle connections, see {@link DbConnectionsEndpoint#closeIdle(String)}.
	 * @param operation {@value DbConnectionsEndpoint#CLOSE_IDLE}
	 * @return what was closed, or 400 for another operation
	 */
	@WriteOperation
	public WebEndpointResponse<Object> closeIdle(@Selector String operation) {
		return respond(() -> this.delegate.closeIdle(operation), WebEndpointResponse.STATUS_BAD_REQUEST);
	}

	/**
	 * Disposes one pool softly, see {@link DbConnectionsEndpoint#disposePool(String)}.
	 * @param pool the pool's bean name
	 * @return the connections closed, or 404 if there is no such pool
	 */
	@DeleteOperation
	public WebEndpointResponse<Object> disposePool(@Selector String pool) {
		return respond(() -> this.delegate.disposePool(pool), WebEndpointResponse.STATUS_NOT_FOUND);
	}

	private static WebEndpointResponse<Object> respond(Supplier<Object> operation, int invalidRequestStatus) {
		try {
			return new WebEndpointResponse<>(operation.get());
		}
		catch (InvalidEndpointRequestException ex) {
			return new WebEndpointResponse<>(OperationResponseBody.of(Map.of("message", ex.getMessage())),
					invalidRequestStatus);
		}
	}

}
