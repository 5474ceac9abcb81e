import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { KIND_ROUTES } from "../domain/kinds/api";
import { actionHandler } from "./action";
import { problem } from "./problem";

type Served = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The one Lambda entry of every kind's own actions (a car's inspection, a
 * rental's move-out…): each such route is still a function of its own in the
 * stack, with its own id, grants and logs; API Gateway names the route
 * (`resource`), and this serves it as `actionHandler` serves a shared action.
 * A kind adds its routes in its folder (`<kind>/api.ts`), not a file here.
 */
const served = new Map<string, Served>();

export const handler = async (event: APIGatewayProxyEvent, context: Context) => {
  const key = `${event.httpMethod} ${event.resource}`;
  let serve = served.get(key);
  if (!serve) {
    const route = KIND_ROUTES.find((r) => `${r.method} ${r.path}` === key);
    // Only API Gateway calls this function, on the routes the stack gave it: anything else is no route.
    if (!route) return problem("not_found", `No kind's action is served at ${key}.`);
    serve = actionHandler(route) as unknown as Served;
    served.set(key, serve);
  }
  return serve(event, context);
};
