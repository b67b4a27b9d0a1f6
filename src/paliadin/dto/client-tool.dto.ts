import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, type ValidationArguments } from 'class-validator';
import { clientToolsProblem } from '../../contract/client-tools.js';
import { MAX_CLIENT_TOOLS } from '../../contract/requests.js';

/** A tool the caller declares and runs itself (docs/requests.md#client-tools); shown here for OpenAPI. */
export class ClientToolDto {
  @ApiProperty({ pattern: '^[a-zA-Z0-9_-]{1,64}$', example: 'open_case' }) name: string;
  @ApiProperty({ example: 'Opens a case page in the user’s browser' }) description: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema of the input (type: object); the agent’s input is validated against it before you are asked',
    example: { type: 'object', properties: { case_id: { type: 'integer' } }, required: ['case_id'] },
  })
  input_schema: Record<string, unknown>;
}

/** The `client_tools` property of a body: at most 32 declarations, each checked, named in the 400 when wrong. */
export function IsClientTools(): PropertyDecorator {
  return ValidateBy({
    name: 'isClientTools',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => clientToolsProblem(value, args?.property) === undefined,
      defaultMessage: (args?: ValidationArguments) => clientToolsProblem(args?.value, args?.property) ?? 'client_tools is not valid',
    },
  });
}

export const ClientToolsProperty = () =>
  ApiPropertyOptional({
    type: [ClientToolDto],
    maxItems: MAX_CLIENT_TOOLS,
    description: 'Tools the agent may call that you run yourself (stream-json driver): each call is a `client_tool` request on the stream',
  });
