// A tier that includes the Lambda adapter: the check must refuse it.
#pragma once
#include "lambda/lambda.hpp"
